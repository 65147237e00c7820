package fidelity

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// lsTestState is where the TestState facts are recorded.
const lsTestState = "LocalStack v2/test_state/*.snapshot.json (recorded against AWS)"

// testStateClient is the Step Functions client for TestState: the model
// gives TestState the endpoint host prefix "sync-", which a client adds to
// a local endpoint's host (sync-127.0.0.1 resolves nowhere), so it is
// turned off, as LocalStack's AWS-validated tests do (aws_client_no_sync_prefix).
func (e *env) testStateClient() *sfn.Client {
	return sfn.NewFromConfig(e.cfg, func(o *sfn.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("NoEndpointHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	})
}

func (e *env) testState(ctx context.Context, in *sfn.TestStateInput) (*sfn.TestStateOutput, error) {
	out, err := e.testStateClient().TestState(ctx, in)
	if err != nil {
		return nil, noErr("TestState", err)
	}
	return out, nil
}

const (
	tsChoice = `{"Type":"Choice","Choices":[{"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},` +
		`{"Variable":"$.value","NumericEquals":0,"Next":"ValueIsZero"},` +
		`{"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],"Default":"DefaultState"}`
	tsIOPass = `{"Type":"Pass","InputPath":"$.initialData","Parameters":{"staticValue":"some value","inputValue.$":"$.fieldFromInput"},"ResultPath":"$.modifiedData","End":true}`
	tsIOIn   = `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234}}`
	tsRetry  = `{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"foo","Payload":"bar"},` +
		`"Retry":[{"ErrorEquals":["MockException"],"IntervalSeconds":1,"MaxAttempts":5,"BackoffRate":2.0}],"End":true}`
	tsCatch = `{"QueryLanguage":"JSONata","Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"foo","Payload":"bar"},` +
		`"Catch":[{"ErrorEquals":["MockException"],"Output":"{% $states %}","Next":"HandleMockError"},{"ErrorEquals":["States.TaskFailed"],"Output":"{% $states %}","Next":"HandleThreshold"}],"End":true}`
	tsParallel = `{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},{"StartAt":"B2","States":{"B2":{"Type":"Pass","End":true}}}],"End":true}`
	tsLambda   = `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}`
)

func mockError() *sfntypes.MockInput {
	return &sfntypes.MockInput{ErrorOutput: &sfntypes.MockErrorOutput{Error: aws.String("MockException"), Cause: aws.String("Mock the cause of the error.")}}
}

func sfnTestStateCases() []fcase {
	return []fcase{
		{
			name: "sfn/TestStateChoiceReportsNextState",
			fact: "TestState of a Choice state answers status SUCCEEDED, the matching rule's nextState and the input as output (" + lsTestState + ", test_base_inspection_level_info[BASE_CHOICE_STATE])",
			check: func(ctx context.Context, e *env) error {
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsChoice), Input: aws.String(`{"type":"Private","value":22}`)})
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.TestExecutionStatusSucceeded, out.Status), eq("nextState", "ValueInTwenties", str(out.NextState)),
					jsonEq("output", `{"type":"Private","value":22}`, str(out.Output)), eq("inspectionData at INFO", true, out.InspectionData == nil))
			},
		},
		{
			name: "sfn/TestStatePassDebugShowsEachDataFlowStep",
			fact: "TestState at inspectionLevel DEBUG shows input, afterInputPath, afterParameters, afterResultSelector and afterResultPath of a Pass state (" + lsTestState + ", test_base_inspection_level_debug[IO_PASS_STATE])",
			check: func(ctx context.Context, e *env) error {
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsIOPass), Input: aws.String(tsIOIn), InspectionLevel: sfntypes.InspectionLevelDebug})
				if err != nil {
					return err
				}
				d := out.InspectionData
				if d == nil {
					return fmt.Errorf("inspectionData: want present at DEBUG, got none")
				}
				params := `{"staticValue":"some value","inputValue":"value from input"}`
				merged := `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234},"modifiedData":` + params + `}`
				return first(eq("status", sfntypes.TestExecutionStatusSucceeded, out.Status), jsonEq("output", merged, str(out.Output)),
					jsonEq("input", tsIOIn, str(d.Input)), jsonEq("afterInputPath", `{"fieldFromInput":"value from input","otherField":"other"}`, str(d.AfterInputPath)),
					jsonEq("afterParameters", params, str(d.AfterParameters)), jsonEq("afterResultSelector", params, str(d.AfterResultSelector)),
					jsonEq("afterResultPath", merged, str(d.AfterResultPath)))
			},
		},
		{
			name: "sfn/TestStateFailStateIsFailed",
			fact: "TestState of a Fail state answers status FAILED with its error and cause and no output (" + lsTestState + ", test_base_inspection_level_info[BASE_FAIL_STATE])",
			check: func(ctx context.Context, e *env) error {
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}`)})
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.TestExecutionStatusFailed, out.Status), eq("error", "SomeFailure", str(out.Error)),
					eq("cause", "This state machines raises a 'SomeFailure' failure.", str(out.Cause)), eq("output absent", true, out.Output == nil))
			},
		},
		{
			name: "sfn/TestStateTaskWithoutRoleIsValidationException",
			fact: "TestState of a Task state without roleArn or mock fails ValidationException 'RoleArn must be specified when testing a Task state' (" + lsTestState + ", test_base_lambda_service_task_state_no_role_arn_validation)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(tsLambda)})
				return apiErr(err, "ValidationException", "RoleArn must be specified when testing a Task state")
			},
		},
		{
			name: "sfn/TestStateParallelWithoutMockIsInvalidDefinition",
			fact: "TestState of a Parallel state without a mock fails InvalidDefinition 'TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]' (API reference: Map and Parallel only with a mock; LocalStack test_state_mock_validation, recorded against AWS)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(tsParallel)})
				return apiErr(err, "InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
			},
		},
		{
			name: "sfn/TestStateMockOnPassIsValidationException",
			fact: "TestState with a mock for a Pass state fails ValidationException \"State type 'Pass' is not supported when a mock is specified\" (API reference, TestStateInput mock; " + lsTestState + ")",
			check: func(ctx context.Context, e *env) error {
				_, err := e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Mock: &sfntypes.MockInput{Result: aws.String(`{}`)}})
				return apiErr(err, "ValidationException", "State type 'Pass' is not supported when a mock is specified")
			},
		},
		{
			name: "sfn/TestStateMockWithResultAndErrorIsValidationException",
			fact: "TestState with a mock holding both result and errorOutput fails ValidationException 'A test mock should have only one of the following fields: [result, errorOutput].' (" + lsTestState + ", test_state_mock_validation)",
			check: func(ctx context.Context, e *env) error {
				m := mockError()
				m.Result = aws.String(`{}`)
				_, err := e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(tsLambda), Mock: m})
				return apiErr(err, "ValidationException", "A test mock should have only one of the following fields: [result, errorOutput].")
			},
		},
		{
			name: "sfn/TestStateRetriableErrorReportsRetryBackoff",
			fact: "TestState of a Task whose mocked error its Retry matches, retrierRetryCount 4 of MaxAttempts 5, IntervalSeconds 1, BackoffRate 2: status RETRIABLE, errorDetails retryIndex 0 and retryBackoffIntervalSeconds 16; at retrierRetryCount 5 status FAILED (" + lsTestState + ", test_state_configuration_retrier_retry_count)",
			check: func(ctx context.Context, e *env) error {
				run := func(n int32) (*sfn.TestStateOutput, error) {
					return e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsRetry), RoleArn: aws.String(sfnRole), Input: aws.String(`{"Values":["first","second","third"]}`),
						InspectionLevel: sfntypes.InspectionLevelDebug, Mock: mockError(), StateConfiguration: &sfntypes.TestStateConfiguration{RetrierRetryCount: aws.Int32(n)}})
				}
				out, err := run(4)
				if err != nil {
					return err
				}
				if out.InspectionData == nil || out.InspectionData.ErrorDetails == nil {
					return fmt.Errorf("inspectionData.errorDetails: want present, got none")
				}
				d := out.InspectionData.ErrorDetails
				if err := first(eq("status", sfntypes.TestExecutionStatusRetriable, out.Status), eq("error", "MockException", str(out.Error)),
					eq("cause", "Mock the cause of the error.", str(out.Cause)), eq("retryIndex", int32(0), aws.ToInt32(d.RetryIndex)),
					eq("retryBackoffIntervalSeconds", int32(16), aws.ToInt32(d.RetryBackoffIntervalSeconds)),
					jsonEq("afterArguments", `{"FunctionName":"foo","Payload":"bar"}`, str(out.InspectionData.AfterArguments))); err != nil {
					return err
				}
				out, err = run(5)
				if err != nil {
					return err
				}
				return eq("status once the retrier is spent", sfntypes.TestExecutionStatusFailed, out.Status)
			},
		},
		{
			name: "sfn/TestStateCaughtErrorReportsCatcherAndNextState",
			fact: "TestState of a Task whose mocked error a Catch matches: status CAUGHT_ERROR, the error and cause, the catcher's Next as nextState, errorDetails catchIndex, and the catcher's Output (" + lsTestState + ", test_state_task_catch_error)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsCatch), RoleArn: aws.String(sfnRole), Input: aws.String(`{"Value":"HelloWorld"}`),
					InspectionLevel: sfntypes.InspectionLevelDebug, Mock: mockError()})
				if err != nil {
					return err
				}
				var o struct {
					Input       json.RawMessage `json:"input"`
					ErrorOutput json.RawMessage `json:"errorOutput"`
				}
				if err := json.Unmarshal([]byte(str(out.Output)), &o); err != nil {
					return fmt.Errorf("output: want the catcher's $states object, got %q", str(out.Output))
				}
				if out.InspectionData == nil || out.InspectionData.ErrorDetails == nil {
					return fmt.Errorf("inspectionData.errorDetails: want present, got none")
				}
				return first(eq("status", sfntypes.TestExecutionStatusCaughtError, out.Status), eq("nextState", "HandleMockError", str(out.NextState)),
					eq("error", "MockException", str(out.Error)), eq("cause", "Mock the cause of the error.", str(out.Cause)),
					eq("catchIndex", int32(0), aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex)),
					jsonEq("output.input", `{"Value":"HelloWorld"}`, string(o.Input)),
					jsonEq("output.errorOutput", `{"Error":"MockException","Cause":"Mock the cause of the error."}`, string(o.ErrorOutput)))
			},
		},
		{
			name: "sfn/TestStateMockResultIsCheckedAgainstTheAPIShape",
			fact: "TestState with a mocked lambda:invoke result whose StatusCode is a string fails ValidationException \"Mock result schema validation error: Field 'StatusCode' must be a number\" (fieldValidationMode STRICT by default); with fieldValidationMode NONE the mock is the result (API reference, MockInput fieldValidationMode; " + lsTestState + ", test_strict_mode_lambda_task)",
			check: func(ctx context.Context, e *env) error {
				bad := `{"StatusCode":"200"}`
				_, err := e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(tsLambda), Mock: &sfntypes.MockInput{Result: aws.String(bad)}})
				if err := apiErr(err, "ValidationException", "Mock result schema validation error: Field 'StatusCode' must be a number"); err != nil {
					return err
				}
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsLambda),
					Mock: &sfntypes.MockInput{Result: aws.String(bad), FieldValidationMode: sfntypes.MockResponseValidationModeNone}})
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.TestExecutionStatusSucceeded, out.Status), jsonEq("output", bad, str(out.Output)))
			},
		},
		{
			name: "sfn/TestStateContextIsTheWholeContextObject",
			fact: "TestState with a mock and a context: $$ is the context given (an empty one is {}); a member of the wrong type fails ValidationException 'Invalid Context object provided: Execution.Id must be a string' (API reference, TestStateInput context; " + lsTestState + ", test_state_context_object_edge_cases[EMPTY], test_state_context_object_validation_failures)",
			check: func(ctx context.Context, e *env) error {
				def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","ctx.$":"$$"},"ResultPath":"$.r","End":true}`
				mock := &sfntypes.MockInput{Result: aws.String(`{"StatusCode":200}`)}
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(def), Mock: mock, Context: aws.String(`{}`), InspectionLevel: sfntypes.InspectionLevelDebug})
				if err != nil {
					return err
				}
				if out.InspectionData == nil {
					return fmt.Errorf("inspectionData: want present at DEBUG, got none")
				}
				if err := jsonEq("afterParameters", `{"FunctionName":"f","ctx":{}}`, str(out.InspectionData.AfterParameters)); err != nil {
					return err
				}
				_, err = e.testStateClient().TestState(ctx, &sfn.TestStateInput{Definition: aws.String(def), Mock: mock, Context: aws.String(`{"Execution":{"Id":1}}`)})
				return apiErr(err, "ValidationException", "Invalid Context object provided: Execution.Id must be a string")
			},
		},
		{
			name: "sfn/TestStateMockedMapBeyondToleratedFailures",
			fact: "TestState of a Map (ToleratedFailureCount 1) mocked with mapIterationFailureCount 2: status CAUGHT_ERROR States.ExceedToleratedFailureThreshold 'The specified tolerated failure threshold was exceeded', the catcher's Next, inspectionData maxConcurrency 0, toleratedFailureCount 1, errorDetails catchIndex 1; with 0 failures the mock is the output (" + lsTestState + ", test_map_state_failure_count[DEBUG-BASE_MAP_STATE_CATCH])",
			check: func(ctx context.Context, e *env) error {
				def := `{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.Values %}","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},` +
					`"StartAt":"TestState","States":{"TestState":{"Type":"Task","Resource":"arn:aws:lambda:your-region:your-account-id:function:yourHelloWorldFunction","End":true}}},` +
					`"Catch":[{"ErrorEquals":["MockException"],"Output":"{% $states %}","Next":"HandleMockError"},{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Output":"{% $states %}","Next":"HandleThreshold"}],` +
					`"ToleratedFailureCount":1,"End":true}`
				run := func(result string, failures int32) (*sfn.TestStateOutput, error) {
					return e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(def), Input: aws.String(`{"Values":["first","second","third"]}`), InspectionLevel: sfntypes.InspectionLevelDebug,
						Mock: &sfntypes.MockInput{Result: aws.String(result)}, StateConfiguration: &sfntypes.TestStateConfiguration{MapIterationFailureCount: aws.Int32(failures)}})
				}
				out, err := run(`[1,1,1]`, 0)
				if err != nil {
					return err
				}
				if err := first(eq("status", sfntypes.TestExecutionStatusSucceeded, out.Status), jsonEq("output", `[1,1,1]`, str(out.Output))); err != nil {
					return err
				}
				out, err = run(`[0,0,1]`, 2)
				if err != nil {
					return err
				}
				d := out.InspectionData
				if d == nil || d.ErrorDetails == nil {
					return fmt.Errorf("inspectionData.errorDetails: want present, got none")
				}
				return first(eq("status", sfntypes.TestExecutionStatusCaughtError, out.Status), eq("error", "States.ExceedToleratedFailureThreshold", str(out.Error)),
					eq("cause", "The specified tolerated failure threshold was exceeded", str(out.Cause)), eq("nextState", "HandleThreshold", str(out.NextState)),
					eq("maxConcurrency", int32(0), aws.ToInt32(d.MaxConcurrency)), eq("toleratedFailureCount", int32(1), aws.ToInt32(d.ToleratedFailureCount)),
					eq("catchIndex", int32(1), aws.ToInt32(d.ErrorDetails.CatchIndex)))
			},
		},
		{
			name: "sfn/TestStateMockedParallelResult",
			fact: "TestState of a Parallel state with a mocked result (one item per branch) answers the mock as the state's result, status SUCCEEDED (" + lsTestState + ", test_base_parallel_state_mock_success)",
			check: func(ctx context.Context, e *env) error {
				res := `[{"branch1":"result"},{"branch2":"result"}]`
				out, err := e.testState(ctx, &sfn.TestStateInput{Definition: aws.String(tsParallel), Input: aws.String(`{"key":"value"}`), Mock: &sfntypes.MockInput{Result: aws.String(res)}})
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.TestExecutionStatusSucceeded, out.Status), jsonEq("output", res, str(out.Output)))
			},
		},
	}
}
