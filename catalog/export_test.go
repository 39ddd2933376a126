package catalog

// SkipListSync makes list and response writes leave their cross-document
// work (dataset links, need updates) undone, as a crash right after the
// write would; ResumeListWork must then finish it.
func SkipListSync(s *Service, skip bool) { s.ls.skipSync = skip }
