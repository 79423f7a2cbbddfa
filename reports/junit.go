package reports

import (
	"encoding/xml"
	"fmt"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitFailure `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders one test case per expectation; unknown verdicts are
// reported as skipped, with the reason.
func (r *Report) JUnit() []byte {
	s := junitSuite{Name: fmt.Sprintf("%s seed %d", r.Scenario.Name, r.Seed)}
	for _, e := range r.Expectations {
		c := junitCase{Name: e.Name, Classname: e.Result.Checker}
		switch {
		case e.Result.Verdict == "unknown":
			c.Skipped = &junitFailure{Message: e.Result.Summary}
			s.Skipped++
		case !e.Pass:
			text := e.Result.Summary + "\nreplay: " + r.Replay
			for _, o := range e.Result.First {
				text += fmt.Sprintf("\nline %d: %s", o.Index+1, o.Desc)
			}
			c.Failure = &junitFailure{Message: e.Result.Summary, Text: text}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("reports: junit: %v", err))
	}
	return append([]byte(xml.Header), append(out, '\n')...)
}
