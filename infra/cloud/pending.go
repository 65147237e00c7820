package cloud

// TODO(consumers): the environment variable names below belong to packages a
// colleague is still writing. Each must be replaced by the package's exported
// constant as soon as it is committed, and this file deleted:
//
//   - consumers/valuationcallback: EnvTableName, EnvSigningSecretARN,
//     EnvSignatureTolerance, EnvLogLevel (seen uncommitted; names copied verbatim)
//   - consumers/valuationservice: the api function's state machine ARN and
//     callback delay, the callback sender's signing secret (names not yet known)
const (
	todoCallbackEnvTableName          = "TOKEN_TABLE_NAME"
	todoCallbackEnvSigningSecretARN   = "SIGNING_SECRET_ARN"
	todoCallbackEnvSignatureTolerance = "SIGNATURE_TOLERANCE"
	todoCallbackEnvLogLevel           = "LOG_LEVEL"

	todoServiceEnvStateMachineARN = "STATE_MACHINE_ARN"
	todoServiceEnvCallbackDelay   = "CALLBACK_DELAY"
	todoServiceEnvSlowResponse    = "SLOW_RESPONSE"
	todoServiceEnvLateDelay       = "LATE_CALLBACK_DELAY"
	todoServiceEnvSigningSecret   = "SIGNING_SECRET_ARN"
	todoServiceEnvLogLevel        = "LOG_LEVEL"
)
