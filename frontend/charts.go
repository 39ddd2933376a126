package frontend

import (
	"math"
	"strconv"
	"strings"

	"dataportal/catalog"
)

// Charts are inline SVG drawn on the server, no script: the geometry is
// computed here and the template (_charts.html) only draws it. Each chart
// carries its figures as text too (the SVG's description, and a table
// under it), so screen readers and people who cannot read colours get the
// same numbers. Labels come from the vocabularies or the catalogues.

// chart is one chart's data.
type chart struct {
	ID    string
	Title string
	// Desc is what a screen reader hears: every label with its value.
	Desc string
	// Kind is "bars" (one horizontal bar per row, the label above it) or
	// "columns" (vertical, for months).
	Kind          string
	Width, Height int
	// Track is the full length of a horizontal bar.
	Track  float64
	Bars   []chartBar
	Legend []legendEntry
	Empty  bool
}

// chartBar is one bar with its label and value text.
type chartBar struct {
	Label string
	// Sub is a second, smaller label (the year under a month).
	Sub   string
	Value string
	Class string
	// The bar, the part of it drawn over it (covered items), and where
	// the label, the sub-label and the value are written.
	X, Y, W, H     float64
	PartW          float64
	LX, LY, SY     float64
	VX, VY, Anchor string
}

// legendEntry names what a colour means.
type legendEntry struct {
	Class string
	Label string
}

// barRow is one row of data for a chart.
type barRow struct {
	Label string
	Sub   string
	Value float64
	// Part, when set, is drawn over the bar (for example the covered
	// share of a domain's items).
	Part float64
	// Text is the value as written next to the bar.
	Text  string
	Class string
}

// Geometry of the charts, in the SVG's own units (it scales to the page).
const (
	chartWidth = 400.0
	barTrack   = 300.0
	barPitch   = 40.0
	barHeight  = 14.0
	colHeight  = 190.0
	colBase    = 150.0
	colArea    = 120.0
)

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func chartDesc(p Page, title string, rows []barRow) string {
	parts := make([]string, 0, len(rows))
	for _, r := range rows {
		l := r.Label
		if r.Sub != "" {
			l = r.Sub + " " + l
		}
		parts = append(parts, l+" "+r.Text)
	}
	return p.T("chart.desc", "Title", title, "Values", strings.Join(parts, p.T("chart.sep")))
}

// barChart lays out horizontal bars, the longest filling the track.
func barChart(p Page, id, title string, rows []barRow) chart {
	c := chart{ID: id, Title: title, Kind: "bars", Width: int(chartWidth), Track: barTrack, Desc: chartDesc(p, title, rows)}
	if len(rows) == 0 {
		c.Empty = true
		return c
	}
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Value)
	}
	if top <= 0 {
		top = 1
	}
	for i, r := range rows {
		y := float64(i) * barPitch
		w := round1(barTrack * r.Value / top)
		b := chartBar{Label: r.Label, Value: r.Text, Class: r.Class, X: 0, Y: y + 20, W: w, H: barHeight,
			PartW: round1(barTrack * min(r.Part, r.Value) / top), LX: 0, LY: y + 15,
			VX: fmtUnits(barTrack + 6), VY: fmtUnits(y + 32), Anchor: "start"}
		c.Bars = append(c.Bars, b)
	}
	c.Height = int(float64(len(rows))*barPitch + 4)
	return c
}

// columnChart lays out vertical columns (months), the tallest filling the
// area.
func columnChart(p Page, id, title string, rows []barRow) chart {
	c := chart{ID: id, Title: title, Kind: "columns", Width: int(chartWidth), Height: int(colHeight), Desc: chartDesc(p, title, rows)}
	if len(rows) == 0 {
		c.Empty = true
		return c
	}
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Value)
	}
	if top <= 0 {
		top = 1
	}
	slot := (chartWidth - 10) / float64(len(rows))
	for i, r := range rows {
		h := round1(colArea * r.Value / top)
		x := 5 + float64(i)*slot
		w := round1(min(max(slot*0.6, 2), 48))
		cx := x + slot/2
		b := chartBar{Label: r.Label, Sub: r.Sub, Value: r.Text, Class: r.Class, X: round1(cx - w/2), Y: round1(colBase - h), W: w, H: h,
			LX: round1(cx), LY: colBase + 16, SY: colBase + 32, VX: fmtUnits(cx), VY: fmtUnits(colBase - h - 4), Anchor: "middle"}
		c.Bars = append(c.Bars, b)
	}
	return c
}

func fmtUnits(f float64) string { return strconv.FormatFloat(round1(f), 'f', -1, 64) }

// monthRows turns month counts ("2026-03") into columns labelled by
// month, with the year under the first month of each year.
func monthRows(months []catalog.MonthCount, class string) []barRow {
	rows := make([]barRow, 0, len(months))
	year := ""
	for _, m := range months {
		y, mo, ok := strings.Cut(m.Month, "-")
		if !ok {
			y, mo = "", m.Month
		}
		r := barRow{Label: mo, Value: float64(m.Count), Text: itoa(m.Count), Class: class}
		if y != year {
			r.Sub, year = y, y
		}
		rows = append(rows, r)
	}
	return rows
}

// facetRows turns counts with vocabulary labels into bars.
func facetRows(p Page, vals []catalog.FacetValue, class string) []barRow {
	rows := make([]barRow, 0, len(vals))
	for _, v := range vals {
		rows = append(rows, barRow{Label: p.L(v.Label), Value: float64(v.Count), Text: itoa(v.Count), Class: class})
	}
	return rows
}

// stateRows turns counts by state into bars in the vocabulary's order,
// each state in its own colour.
func stateRows(p Page, v catalog.Vocabulary, counts map[string]int, prefix string) []barRow {
	rows := make([]barRow, 0, len(v))
	for _, t := range v {
		n := counts[t.Value]
		rows = append(rows, barRow{Label: p.L(t.Label), Value: float64(n), Text: itoa(n), Class: prefix + t.Value})
	}
	return rows
}

// coverageRows are the items of each domain with the covered ones drawn
// over them.
func coverageRows(p Page, ds []catalog.DomainProgress) []barRow {
	rows := make([]barRow, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, barRow{Label: p.L(d.Label), Value: float64(d.Items), Part: float64(d.Covered),
			Text:  p.T("chart.covered_of", "C", d.Covered, "N", d.Items, "P", pct(d.Coverage)),
			Class: "items"})
	}
	return rows
}

// coverageLegend says what the two colours of a coverage chart mean.
func coverageLegend(p Page) []legendEntry {
	return []legendEntry{{Class: "items", Label: p.T("chart.legend_items")}, {Class: "covered", Label: p.T("chart.legend_covered")}}
}

func itoa(n int) string { return strconv.Itoa(n) }
