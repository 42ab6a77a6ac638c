package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
)

func usageErr(cmd *cobra.Command, msg string) error {
	return fmt.Errorf("%s\n\nUsage: %s", msg, cmd.UseLine())
}

// generatedName is the chart's name with a random suffix, as --generate-name makes.
func generatedName(chartName string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := strings.ToLower(chartName)
	if len(name) > 45 {
		name = name[:45]
	}
	return strings.Trim(name, "-.") + "-" + hex.EncodeToString(b)
}

// releaseSummary is the printed form of a revision (-o json|yaml).
type releaseSummary struct {
	Name         string            `json:"name"`
	Namespace    string            `json:"namespace"`
	Revision     int               `json:"revision"`
	Status       release.Status    `json:"status"`
	Description  string            `json:"description,omitempty"`
	Chart        string            `json:"chart"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Digest       string            `json:"digest,omitempty"`
	Source       string            `json:"source,omitempty"`
	LastDeployed time.Time         `json:"lastDeployed"`
	Notes        string            `json:"notes,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Changes      map[string]int    `json:"changes,omitempty"`
	Manifest     string            `json:"manifest,omitempty"`
	RolledBack   bool              `json:"rolledBack,omitempty"`
}

func summarize(r *release.Release) releaseSummary {
	s := releaseSummary{
		Name: r.Name, Namespace: r.Namespace, Revision: r.Revision, Status: r.Status,
		Description: r.Description, LastDeployed: r.LastDeployed, Notes: r.Notes, Labels: r.Labels,
		Digest: r.Chart.Digest, Source: r.Chart.Source,
	}
	if m := r.Chart.Metadata; m != nil {
		s.Chart = m.Name + "-" + m.Version
		s.AppVersion = m.AppVersion
	}
	return s
}

// printResult prints what install, upgrade or rollback did.
func printResult(cmd *cobra.Command, out *outputFlag, res *action.Result, dryRun bool) error {
	s := summarize(res.Release)
	s.RolledBack = res.RolledBack
	if res.Changes != nil {
		s.Changes = map[string]int{}
		for a, cs := range res.Changes.ByAction() {
			s.Changes[string(a)] = len(cs)
		}
	}
	if dryRun {
		s.Manifest = res.Release.Manifest
	}
	return out.print(cmd.OutOrStdout(), s, func(t *table) {
		t.row("NAME:", s.Name)
		t.row("LAST DEPLOYED:", s.LastDeployed.Local().Format(time.ANSIC))
		t.row("NAMESPACE:", s.Namespace)
		t.row("STATUS:", string(s.Status))
		t.row("REVISION:", strconv.Itoa(s.Revision))
		t.row("CHART:", s.Chart)
		if s.Description != "" {
			t.row("DESCRIPTION:", s.Description)
		}
		if res.Changes != nil {
			t.row("CHANGES:", res.Changes.Summary())
		}
		if res.Pruned != nil && len(res.Pruned.Changes) > 0 {
			t.row("PRUNED:", res.Pruned.Summary())
		}
		for _, c := range conflicts(res) {
			t.row("CONFLICT:", c)
		}
		if dryRun {
			t.row("MANIFEST:", "")
			t.row(strings.TrimRight(s.Manifest, "\n"))
		}
		if s.Notes != "" {
			t.row("NOTES:", "")
			t.row(strings.TrimRight(s.Notes, "\n"))
		}
	})
}

// conflicts lists the fields taken over from other field managers.
func conflicts(res *action.Result) []string {
	if res.Changes == nil {
		return nil
	}
	var out []string
	for _, c := range res.Changes.Changes {
		for _, f := range c.Conflicts {
			out = append(out, c.Object.String()+": "+f.String())
		}
	}
	return out
}

// progressPrinter renders wait progress: a live view on a terminal, plain lines
// otherwise (each object's state when it changes).
type progressPrinter struct {
	w    io.Writer
	tty  bool
	last map[string]string // plain mode: the last line printed per object
	// drawn is how many lines the terminal view drew last time (to redraw over them).
	drawn int
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	return &progressPrinter{w: w, tty: isTerminal(w), last: map[string]string{}}
}

// update renders one progress snapshot.
func (p *progressPrinter) update(pr apply.Progress) {
	if !p.tty {
		for _, s := range pr.Changed {
			line := s.String()
			if p.last[s.Object.String()] == line {
				continue
			}
			p.last[s.Object.String()] = line
			fmt.Fprintf(p.w, "[%5.1fs] %s\n", pr.Elapsed.Seconds(), line)
		}
		return
	}
	// A terminal: redraw a block of the objects still rolling out.
	var pending []apply.ObjectStatus
	for _, s := range pr.Objects {
		if s.Status != apply.StatusCurrent {
			pending = append(pending, s)
		}
	}
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	fmt.Fprintf(&b, "\x1b[1mWaiting\x1b[0m %d/%d ready, %s elapsed\n", pr.Ready, pr.Total, pr.Elapsed.Round(100*time.Millisecond))
	lines := 1
	for i, s := range pending {
		if i == 12 {
			fmt.Fprintf(&b, "  … and %d more\n", len(pending)-i)
			lines++
			break
		}
		colour := "\x1b[33m"
		if s.Status == apply.StatusFailed {
			colour = "\x1b[31m"
		}
		fmt.Fprintf(&b, "  %s%-11s\x1b[0m %s %s\n", colour, s.Status, s.Object, s.Message)
		lines++
	}
	p.drawn = lines
	fmt.Fprint(p.w, b.String())
}

// isTerminal reports whether w is a terminal (colour and live views only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
