package sns

import (
	"regexp"
	"strings"
	"sync"
)

var (
	// topicNameRE is compiled on first use: its counted repetition costs
	// milliseconds at every start of the loanflow binary otherwise.
	topicNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`) })
	// arnRE is arn:partition:service:region:account:resource.
	arnRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):([0-9]{12}):(.+)$`)
	})
)

type arnParts struct{ partition, service, region, account, resource string }

func parseARN(s string) (arnParts, bool) {
	m := arnRE().FindStringSubmatch(s)
	if m == nil {
		return arnParts{}, false
	}
	return arnParts{m[1], m[2], m[3], m[4], m[5]}, true
}

// checkTopicARN checks the form of a topic ARN sent as param and returns
// the topic if this stack has it: an ARN of another region or account
// names no topic here.
func (s *Service) checkTopicARN(param, arn string) (*topic, *Error) {
	if arn == "" {
		return nil, missing(param)
	}
	p, ok := parseARN(arn)
	if !ok || p.service != "sns" || p.region == "" || !topicNameRE().MatchString(strings.TrimSuffix(p.resource, ".fifo")) {
		return nil, invalidParam(param, "")
	}
	t, ok := s.topic(arn)
	if !ok {
		return nil, errTopicNotFound
	}
	return t, nil
}

// checkSubscriptionARN checks the form of a subscription ARN (a topic ARN,
// a colon and an id).
func checkSubscriptionARN(param, arn string) *Error {
	if arn == "" {
		return missing(param)
	}
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return invalidParam(param, "")
	}
	p, ok := parseARN(arn[:i])
	if !ok || p.service != "sns" || arn[i+1:] == "" || strings.Contains(p.resource, ":") {
		return invalidParam(param, "")
	}
	return nil
}

// queueNameOf returns the queue name of an SQS queue ARN.
func queueNameOf(arn string) (string, bool) {
	p, ok := parseARN(arn)
	if !ok || p.service != "sqs" || p.region == "" || strings.Contains(p.resource, ":") || len(p.resource) > 80 {
		return "", false
	}
	return p.resource, true
}

// isFunctionARN reports whether arn is a Lambda function ARN, optionally
// with a version or alias.
func isFunctionARN(arn string) bool {
	p, ok := parseARN(arn)
	if !ok || p.service != "lambda" || p.region == "" {
		return false
	}
	parts := strings.Split(p.resource, ":")
	return parts[0] == "function" && (len(parts) == 2 || len(parts) == 3) && parts[1] != ""
}
