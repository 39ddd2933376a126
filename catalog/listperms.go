package catalog

import "context"

// ListPermissions returns what the principal may do with a list it may
// read, each with the decision that explains it: manage the list, answer
// its items for its own organisation, review deliveries, and see matching
// suggestions (of every organisation, or of its own). Pages use it to offer
// only the forms that would be accepted; every change is still decided
// again by the use case that makes it. Nothing is audited: this only asks.
func (s *Service) ListPermissions(ctx context.Context, p Principal, l *ConstructionList) (map[Action]Decision, error) {
	org := ""
	if p.Org != nil {
		org = p.Org.ID
	}
	out := map[Action]Decision{}
	for _, q := range []struct {
		act Action
		org string
	}{{ActManageLists, ""}, {ActRespond, org}, {ActReviewResponses, ""}, {ActMatchItems, ""}} {
		d, err := s.authz.Decide(ctx, p.Subject(), q.act, listResource(l, q.org))
		if err != nil {
			return nil, err
		}
		out[q.act] = d
	}
	// A provider sees suggestions of its own organisation's datasets.
	if m := out[ActMatchItems]; !m.Allowed && org != "" {
		d, err := s.authz.Decide(ctx, p.Subject(), ActMatchItems, listResource(l, org))
		if err != nil {
			return nil, err
		}
		out[ActMatchItems] = d
	}
	return out, nil
}
