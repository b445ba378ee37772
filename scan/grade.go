package scan

import (
	"fmt"
	"strings"
)

// Grade is the scan's overall mark. The rule (docs/scan-grading.md) is the
// worst finding alone: no finding above ok gives A, the worst at low gives
// B, medium C, high D, critical F. A weakness is not made up for by good
// settings elsewhere: one critical hole is enough to lose the data.
type Grade struct {
	// Letter is A, B, C, D or F.
	Letter string `json:"grade"`
	// Worst is the highest severity among the findings.
	Worst Severity `json:"worst_severity"`
	// Reason names the findings that set the grade.
	Reason string `json:"reason"`
}

// gradeLetters maps the worst severity to the grade.
var gradeLetters = map[Severity]string{
	SeverityOK:       "A",
	SeverityLow:      "B",
	SeverityMedium:   "C",
	SeverityHigh:     "D",
	SeverityCritical: "F",
}

// GradeOf applies the rule to a list of findings.
func GradeOf(findings []Finding) Grade {
	worst := WorstSeverity(findings)
	g := Grade{Letter: gradeLetters[worst], Worst: worst}
	if worst == SeverityOK {
		g.Reason = fmt.Sprintf("none of the %d checks found a weakness", len(findings))
		return g
	}
	var names []string
	for _, f := range findings {
		if f.Severity == worst {
			names = append(names, f.Name)
		}
	}
	g.Reason = fmt.Sprintf("worst finding %s: %s", worst, strings.Join(names, ", "))
	return g
}

// WorstSeverity returns the highest severity in findings (SeverityOK for
// none).
func WorstSeverity(findings []Finding) Severity {
	worst := SeverityOK
	for _, f := range findings {
		worst = max(worst, f.Severity)
	}
	return worst
}
