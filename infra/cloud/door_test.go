package cloud

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/valuationcallback"
)

// The webhook's stage is guarded by a web ACL: a rate limit per IP address
// and AWS's managed rule groups, every rule with metrics.
func TestWebhookWebACL(t *testing.T) {
	d := defaults(t)
	w := d.stacks.LoanProcessor.Webhook
	check(t, "web ACL", has(d.lp, "AWS::WAFv2::WebACL", map[string]any{
		"Scope":         "REGIONAL",
		"DefaultAction": map[string]any{"Allow": map[string]any{}},
		"Rules": []any{
			objectLike(map[string]any{
				"Name": "RateLimitPerIP", "Priority": 0,
				"Action": map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{
					"ResponseCode": 429, "CustomResponseBodyKey": "RateLimited",
					"ResponseHeaders": []any{map[string]any{"Name": "Retry-After", "Value": "60"}},
				}}},
				"Statement": map[string]any{"RateBasedStatement": map[string]any{
					"Limit": WebhookIPRateLimit, "AggregateKeyType": "IP", "EvaluationWindowSec": 300,
				}},
			}),
			objectLike(map[string]any{
				"Name": "AWSManagedRulesCommonRuleSet", "Priority": 1,
				"OverrideAction": map[string]any{"None": map[string]any{}},
				"Statement": map[string]any{"ManagedRuleGroupStatement": map[string]any{
					"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
				}},
			}),
			objectLike(map[string]any{
				"Name": "AWSManagedRulesKnownBadInputsRuleSet", "Priority": 2,
				"OverrideAction": map[string]any{"None": map[string]any{}},
				"Statement": map[string]any{"ManagedRuleGroupStatement": map[string]any{
					"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet",
				}},
			}),
		},
		"CustomResponseBodies": map[string]any{"RateLimited": map[string]any{"ContentType": "APPLICATION_JSON", "Content": WebhookRateLimited}},
		"VisibilityConfig":     objectLike(map[string]any{"CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true}),
	}))
	if !json.Valid([]byte(WebhookRateLimited)) {
		t.Errorf("the web ACL's 429 body is not JSON: %s", WebhookRateLimited)
	}
	acl := props(t, d.lp, "AWS::WAFv2::WebACL", logicalID(w.WebACL))
	for _, r := range acl["Rules"].([]any) {
		rule := r.(map[string]any)
		equalJSON(t, "metrics of "+rule["Name"].(string), rule["VisibilityConfig"], map[string]any{
			"CloudWatchMetricsEnabled": true, "MetricName": rule["Name"], "SampledRequestsEnabled": true,
		})
	}

	check(t, "association", has(d.lp, "AWS::WAFv2::WebACLAssociation", map[string]any{
		"WebACLArn": getAtt(w.WebACL, "Arn"),
	}))
	assoc := toJSON(t, props(t, d.lp, "AWS::WAFv2::WebACLAssociation", logicalID(w.WebACLAssociation))["ResourceArn"])
	for _, want := range []string{":apigateway:", "::/restapis/", toJSON(t, ref(w.API)), "/stages/", toJSON(t, ref(w.API.DeploymentStage()))} {
		if !strings.Contains(assoc, want) {
			t.Errorf("web ACL association's resource %s lacks %s: it is not the webhook's stage", assoc, want)
		}
	}
}

// Each valuation provider calls with its own API key, throttled per key by
// the usage plan on the webhook's stage; the mock's key is its secret.
func TestWebhookUsagePlanAndMockKey(t *testing.T) {
	d := defaults(t)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	w := lp.Webhook
	check(t, "usage plan", has(d.lp, "AWS::ApiGateway::UsagePlan", map[string]any{
		"Throttle":  map[string]any{"RateLimit": d.settings.WebhookRateLimit, "BurstLimit": d.settings.WebhookBurstLimit},
		"ApiStages": []any{map[string]any{"ApiId": ref(w.API), "Stage": ref(w.API.DeploymentStage())}},
		"Quota":     assertions.Match_Absent(),
	}))
	check(t, "usage plan key", has(d.lp, "AWS::ApiGateway::UsagePlanKey", map[string]any{
		"KeyId": ref(lp.ProviderAPIKey), "KeyType": "API_KEY", "UsagePlanId": ref(w.UsagePlan),
	}))
	key := props(t, d.lp, "AWS::ApiGateway::ApiKey", logicalID(lp.ProviderAPIKey))
	if key["Enabled"] != true {
		t.Errorf("mock API key: %v", key)
	}
	// A dynamic reference to the mock's secret, resolved by CloudFormation:
	// the value is never in the template.
	value := toJSON(t, key["Value"])
	if !strings.Contains(value, "{{resolve:secretsmanager:") || !strings.Contains(value, ":SecretString:::}}") {
		t.Errorf("mock API key value %s is not the mock's secret", value)
	}
	check(t, "no provider key output with the mock", func() {
		if len(*d.lp.FindOutputs(jsii.String("ProviderApiKeyId"), nil)) != 0 {
			panic("ProviderApiKeyId is output")
		}
	})

	check(t, "mock's key secret", has(d.vs, "AWS::SecretsManager::Secret", map[string]any{
		"GenerateSecretString": map[string]any{"PasswordLength": 40, "ExcludePunctuation": true},
	}))
	sender := props(t, d.vs, "AWS::Lambda::Function", logicalID(vs.CallbackSender.Function))
	equalJSON(t, "sender's key secret", sender["Environment"].(map[string]any)["Variables"].(map[string]any)[mockvaluation.EnvWebhookAPIKeySecretARN],
		ref(vs.WebhookAPIKey))
	equalJSON(t, "sender on its key secret", sorted(actionsOn(t, statements(t, d.vs, vs.CallbackSender.Role))[toJSON(t, ref(vs.WebhookAPIKey))]),
		[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"})
	for res, actions := range actionsOn(t, statements(t, d.vs, vs.RequestHandler.Role)) {
		if strings.Contains(res, logicalID(vs.WebhookAPIKey)) {
			t.Errorf("the request handler may %v on the webhook key", actions)
		}
	}
}

// The mock takes only IAM-signed requests, and the processor's request
// consumer is the one principal allowed to invoke its route.
func TestMockServiceAuthorization(t *testing.T) {
	d := defaults(t)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	check(t, "route", has(d.vs, "AWS::ApiGatewayV2::Route", map[string]any{
		"RouteKey": "POST /valuations", "AuthorizationType": "AWS_IAM",
	}))
	for id, r := range resources(t, d.vs, "AWS::ApiGatewayV2::Route") {
		if a := r["Properties"].(map[string]any)["AuthorizationType"]; a != "AWS_IAM" {
			t.Errorf("route %s: AuthorizationType %v", id, a)
		}
	}

	var invoke []string
	for res, actions := range actionsOn(t, statements(t, d.lp, lp.RequestConsumer.Role)) {
		for _, a := range actions {
			if a != "execute-api:Invoke" {
				continue
			}
			invoke = append(invoke, res)
			for _, want := range []string{":execute-api:", "/$default/POST/valuations"} {
				if !strings.Contains(res, want) {
					t.Errorf("execute-api:Invoke on %s, which lacks %s", res, want)
				}
			}
		}
	}
	if len(invoke) != 1 {
		t.Errorf("the request consumer may invoke %v, want the mock's route only", invoke)
	}
	// The ARN names the mock's API: built in the mock stack, it resolves there.
	if got := toJSON(t, vs.Resolve(vs.RequestRouteARN())); !strings.Contains(got, toJSON(t, ref(vs.API))) || !strings.Contains(got, "/$default/POST/valuations") {
		t.Errorf("request route ARN %s", got)
	}
	// Nobody else in either stack may invoke it.
	for _, tpl := range []assertions.Template{d.lp, d.vs} {
		n := 0
		for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
			n += strings.Count(toJSON(t, p), `"execute-api:Invoke"`)
		}
		if tpl == d.lp && n != 1 || tpl == d.vs && n != 0 {
			t.Errorf("%d statements grant execute-api:Invoke", n)
		}
	}
}

// The mock calls back only under this webhook: the processor publishes its
// callback prefix in SSM, and the mock's API function may read exactly that
// parameter.
func TestMockAllowedCallbackPrefix(t *testing.T) {
	d := defaults(t)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	check(t, "parameter", has(d.lp, "AWS::SSM::Parameter", map[string]any{
		"Name": AllowedCallbackParameterName, "Type": "String",
	}))
	value := toJSON(t, props(t, d.lp, "AWS::SSM::Parameter", logicalID(lp.AllowedCallbackPrefix))["Value"])
	for _, want := range []string{`"https://"`, toJSON(t, ref(lp.Webhook.API)), ".execute-api.", toJSON(t, ref(lp.Webhook.API.DeploymentStage())), `/valuations/"`} {
		if !strings.Contains(value, want) {
			t.Errorf("allowed callback prefix %s lacks %s", value, want)
		}
	}

	api := props(t, d.vs, "AWS::Lambda::Function", logicalID(vs.RequestHandler.Function))
	env := api["Environment"].(map[string]any)["Variables"].(map[string]any)
	equalJSON(t, "api's callback parameter", env[mockvaluation.EnvAllowedCallbackParameter], AllowedCallbackParameterName)
	if _, ok := env[mockvaluation.EnvAllowedCallbackPrefix]; ok {
		t.Error("the deployed mock is given a prefix of its own")
	}
	var ssm []string
	for res, actions := range actionsOn(t, statements(t, d.vs, vs.RequestHandler.Role)) {
		for _, a := range actions {
			if strings.HasPrefix(a, "ssm:") {
				ssm = append(ssm, a+" on "+res)
				if a != "ssm:GetParameter" || !strings.Contains(res, ":ssm:") ||
					!strings.Contains(res, ":parameter"+AllowedCallbackParameterName+`"`) {
					t.Errorf("the mock's API may %s on %s", a, res)
				}
			}
		}
	}
	if len(ssm) != 1 {
		t.Errorf("the mock's API SSM grants: %v", ssm)
	}
}

// While a key rotates, the resolver reads the signing secret's AWSCURRENT and
// AWSPREVIOUS versions and the mock's sender reads it again after its cache
// expires: no grant on the secret is limited to a version stage.
func TestSigningSecretEveryVersion(t *testing.T) {
	d := defaults(t)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	n := 0
	for _, c := range []struct {
		sts  []map[string]any
		name string
	}{
		{statements(t, d.lp, lp.Resolver.Role), "resolver"},
		{statements(t, d.vs, vs.CallbackSender.Role), "sender"},
	} {
		for _, st := range c.sts {
			if !strings.Contains(toJSON(t, st["Action"]), "secretsmanager:GetSecretValue") {
				continue
			}
			n++
			if cond, ok := st["Condition"]; ok {
				t.Errorf("%s reads its secrets under a condition: %v", c.name, cond)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d statements allow GetSecretValue, want the resolver's and the sender's", n)
	}
	env := props(t, d.lp, "AWS::Lambda::Function", logicalID(lp.Resolver.Function))["Environment"].(map[string]any)["Variables"].(map[string]any)
	equalJSON(t, "resolver's cache TTL", env[valuationcallback.EnvSecretCacheTTL], d.settings.Config.Signature.CacheTTL.String())
	env = props(t, d.vs, "AWS::Lambda::Function", logicalID(vs.CallbackSender.Function))["Environment"].(map[string]any)["Variables"].(map[string]any)
	equalJSON(t, "sender's cache TTL", env[mockvaluation.EnvSigningSecretCacheTTL], d.settings.Config.Signature.CacheTTL.String())
}
