package catalog

import "context"

// VisibleDatasets pages through the published datasets p may view, in id
// order, from the store (the truth, not the index): the source of the
// catalogue exports (DCAT, sitemap, the CKAN-compatible API). after is the
// Next of the previous page; limit is at most 500.
func (s *Service) VisibleDatasets(ctx context.Context, p Principal, after string, limit int) ([]Dataset, string, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var out []Dataset
	for len(out) < limit {
		page, next, err := s.datasets.find(ctx, Query{Filters: []Filter{Where("status", StatusPublished)}, Limit: limit - len(out), After: after})
		if err != nil {
			return nil, "", err
		}
		for _, f := range page {
			d := f.V.Dataset
			dec, err := s.authz.Decide(ctx, p.Subject(), ActView, viewResource(&d))
			if err != nil {
				return nil, "", err
			}
			if dec.Allowed {
				if err := s.datasetForReader(ctx, p, &d); err != nil {
					return nil, "", err
				}
				out = append(out, d)
			}
		}
		if next == "" {
			return out, "", nil
		}
		after = next
	}
	return out, after, nil
}
