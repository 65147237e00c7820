package eventbus

import "context"

// Delivery is what a Deliverer is told, in its context, about the delivery
// it makes: AWS authorizes a target's invocation either by the target's role
// or, without one, by the target's own resource policy, which names the
// rule as the aws:SourceArn.
type Delivery struct {
	// RuleARN is the rule the event matched.
	RuleARN string
	// RoleARN is the target's role, "" when it has none.
	RoleARN string
}

type deliveryKey struct{}

func withDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DeliveryFrom returns the delivery a Deliverer's context carries.
func DeliveryFrom(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}
