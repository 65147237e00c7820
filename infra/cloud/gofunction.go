package cloud

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/functionspec"
)

// GoFunctionProps configures a GoFunction.
type GoFunctionProps struct {
	// ModuleRoot is the directory holding go.mod.
	ModuleRoot string
	// Main is the main package's directory relative to ModuleRoot,
	// e.g. "consumers/functions/valuation-request".
	Main        string
	Description string
	MemoryMB    int
	Timeout     time.Duration
	// LogRetentionDays is a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, ...).
	LogRetentionDays int
	// LogLevel is the application log level Lambda filters on (DEBUG, INFO, WARN, ERROR).
	LogLevel    string
	Environment map[string]*string
	// DeadLetterQueue receives asynchronous invocations that failed every
	// retry; nil for functions only invoked synchronously or by an event source mapping.
	DeadLetterQueue awssqs.IQueue
	// RetryAttempts (0-2) and MaxEventAge bound asynchronous retries.
	RetryAttempts *int
	MaxEventAge   time.Duration
	// ReservedConcurrency reserves that much of the account's concurrency
	// for the function; 0 reserves none.
	ReservedConcurrency int
}

// specProps are the props of a function spec (infra/functionspec), the one
// the local stack registers too: main package, description, environment,
// timeout, memory, reserved concurrency and log level. The caller adds what
// only the cloud has: a dead-letter queue and retries for asynchronous
// invocations.
func specProps(moduleRoot string, s functionspec.Spec, logRetentionDays int) *GoFunctionProps {
	return &GoFunctionProps{
		ModuleRoot:          moduleRoot,
		Main:                s.Main,
		Description:         s.Description,
		MemoryMB:            s.MemoryMB,
		Timeout:             s.Timeout,
		ReservedConcurrency: s.ReservedConcurrency,
		LogRetentionDays:    logRetentionDays,
		LogLevel:            s.LogLevel,
		Environment:         s.Environment.Pointers(),
	}
}

// GoFunction is a Go Lambda function with the project's defaults:
// provided.al2023 on arm64, a static bootstrap built by a local `go build`
// (no Docker), JSON logs filtered at the configured level, active X-Ray
// tracing, its own log group with a retention, and a role that may only
// write its own logs until grants are added.
type GoFunction struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
}

// NewGoFunction builds the function; it panics with a clear message on bad props.
func NewGoFunction(scope constructs.Construct, id string, props *GoFunctionProps) *GoFunction {
	if props == nil || props.ModuleRoot == "" || props.Main == "" {
		panic(fmt.Sprintf("GoFunction %s: ModuleRoot and Main are required", id))
	}
	if props.MemoryMB < 128 || props.MemoryMB > 10240 {
		panic(fmt.Sprintf("GoFunction %s: MemoryMB %d must be between 128 and 10240", id, props.MemoryMB))
	}
	if props.Timeout < time.Second || props.Timeout > 15*time.Minute || props.Timeout%time.Second != 0 {
		panic(fmt.Sprintf("GoFunction %s: Timeout %s must be whole seconds between 1s and 15m", id, props.Timeout))
	}
	if props.ReservedConcurrency < 0 {
		panic(fmt.Sprintf("GoFunction %s: ReservedConcurrency %d must be >= 0", id, props.ReservedConcurrency))
	}
	retention, ok := retentionDays[props.LogRetentionDays]
	if !ok {
		panic(fmt.Sprintf("GoFunction %s: LogRetentionDays %d is not a CloudWatch Logs retention", id, props.LogRetentionDays))
	}
	level, ok := applicationLogLevels[props.LogLevel]
	if !ok {
		panic(fmt.Sprintf("GoFunction %s: LogLevel %q must be DEBUG, INFO, WARN or ERROR", id, props.LogLevel))
	}
	code, err := goCode(props.ModuleRoot, props.Main)
	if err != nil {
		panic(fmt.Sprintf("GoFunction %s: %v", id, err))
	}

	c := constructs.NewConstruct(scope, &id)
	f := &GoFunction{Construct: c}
	// The stack decides what happens to it on deletion (Settings.RemovalPolicy).
	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: retention})
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(props.Description),
	})
	f.LogGroup.GrantWrite(f.Role)

	fp := &awslambda.FunctionProps{
		Description:           jsii.String(props.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  code,
		MemorySize:            jsii.Number(float64(props.MemoryMB)),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(props.Timeout.Seconds())),
		Role:                  f.Role,
		LogGroup:              f.LogGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: level,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		Tracing:               awslambda.Tracing_ACTIVE,
		RecursiveLoop:         awslambda.RecursiveLoop_TERMINATE,
	}
	if len(props.Environment) > 0 {
		fp.Environment = &props.Environment
	}
	if props.DeadLetterQueue != nil {
		fp.DeadLetterQueue = props.DeadLetterQueue
	}
	if props.RetryAttempts != nil {
		fp.RetryAttempts = jsii.Number(float64(*props.RetryAttempts))
	}
	if props.ReservedConcurrency > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(props.ReservedConcurrency))
	}
	if props.MaxEventAge > 0 {
		fp.MaxEventAge = awscdk.Duration_Seconds(jsii.Number(props.MaxEventAge.Seconds()))
	}
	f.Function = awslambda.NewFunction(c, jsii.String("Function"), fp)

	suppress(f.Role.Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
		"Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; every other statement names its resource.",
		"Resource::*")
	return f
}

var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

var applicationLogLevels = map[string]awslambda.ApplicationLogLevel{
	"DEBUG": awslambda.ApplicationLogLevel_DEBUG, "INFO": awslambda.ApplicationLogLevel_INFO,
	"WARN": awslambda.ApplicationLogLevel_WARN, "ERROR": awslambda.ApplicationLogLevel_ERROR,
}

// goCode is the function's code asset: the main package's directory (small,
// and staged as is when bundling is skipped), built by goBundler, under a hash
// of every source file the binary is built from.
func goCode(moduleRoot, main string) (awslambda.Code, error) {
	hash, err := goAssetHash(moduleRoot, main)
	if err != nil {
		return nil, err
	}
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(moduleRoot, main)), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		AssetHash:     jsii.String(hash),
		Bundling: &awscdk.BundlingOptions{
			// Never pulled: goBundler always bundles locally.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("none")),
			Local: &goBundler{moduleRoot: moduleRoot, main: main},
		},
	}), nil
}

// The target platform and flags of every Lambda binary.
var (
	goBuildEnv  = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}
	goBuildTags = "lambda.norpc"
	goBuildArgs = []string{"build", "-tags", goBuildTags, "-trimpath", "-buildvcs=false", "-ldflags=-s -w"}
)

// goBundler builds a static linux/arm64 bootstrap with the local Go toolchain.
type goBundler struct {
	moduleRoot string
	main       string
}

// TryBundle implements awscdk.ILocalBundling. A failed build panics with the
// compiler's output: falling back to Docker would only hide the error.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := goBuild(b.moduleRoot, b.main, filepath.Join(*outputDir, "bootstrap")); err != nil {
		panic(err.Error())
	}
	return jsii.Bool(true)
}

func goBuild(moduleRoot, main, out string) error {
	args := append(append([]string{}, goBuildArgs...), "-o", out, "./"+filepath.ToSlash(main))
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), goBuildEnv...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bundle %s: go %s: %v\n%s", main, strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

// goAssetHash fingerprints what the binary is built from: the toolchain
// version, the build flags, go.mod, the module path and version of every
// dependency, and the contents of every Go and embedded file of this
// module's packages that the main package imports (as `go list -deps` sees
// them for linux/arm64). A change to any of them changes the hash, and so
// the function's code; anything else leaves it, and a warm synth reuses the
// bundle already in cdk.out.
func goAssetHash(moduleRoot, main string) (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-tags", goBuildTags, "-json=ImportPath,Dir,Standard,Module,GoFiles,EmbedFiles,Error", "./"+filepath.ToSlash(main))
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), goBuildEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("asset hash %s: go list: %v\n%s", main, err, stderr.String())
	}
	ver, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("asset hash %s: go env GOVERSION: %w", main, err)
	}

	h := sha256.New()
	fmt.Fprintf(h, "go %s\nenv %v\nargs %v\nmain %s\n", bytes.TrimSpace(ver), goBuildEnv, goBuildArgs, main)
	if err := hashFile(h, moduleRoot, "go.mod"); err != nil {
		return "", fmt.Errorf("asset hash %s: %w", main, err)
	}
	type module struct {
		Path, Version string
		Main          bool
		Replace       *struct{ Path, Version string }
	}
	type pkg struct {
		ImportPath, Dir     string
		Standard            bool
		Module              *module
		GoFiles, EmbedFiles []string
		Error               *struct{ Err string }
	}
	var pkgs []pkg
	dec := json.NewDecoder(&stdout)
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("asset hash %s: decode go list: %w", main, err)
		}
		if p.Error != nil {
			return "", fmt.Errorf("asset hash %s: package %s: %s", main, p.ImportPath, p.Error.Err)
		}
		if !p.Standard {
			pkgs = append(pkgs, p)
		}
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].ImportPath < pkgs[j].ImportPath })
	for _, p := range pkgs {
		fmt.Fprintf(h, "package %s\n", p.ImportPath)
		switch {
		case p.Module == nil:
			return "", fmt.Errorf("asset hash %s: package %s belongs to no module", main, p.ImportPath)
		case !p.Module.Main:
			fmt.Fprintf(h, "module %s@%s\n", p.Module.Path, p.Module.Version)
			if r := p.Module.Replace; r != nil {
				fmt.Fprintf(h, "replaced by %s@%s\n", r.Path, r.Version)
			}
		default:
			files := append(append([]string{}, p.GoFiles...), p.EmbedFiles...)
			sort.Strings(files)
			for _, name := range files {
				if err := hashFile(h, p.Dir, name); err != nil {
					return "", fmt.Errorf("asset hash %s: %w", main, err)
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, dir, name string) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	fmt.Fprintf(h, "file %s %x\n", filepath.ToSlash(name), sum)
	return nil
}
