package printer

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/OpenPrinting/goipp"

	"wartemarke/printer/printertest"
)

// slipDeadline is the print deadline in the tests: short, so that a slip
// that waits for paper fails quickly.
const slipDeadline = 3 * time.Second

func mustOpenIPP(tb testing.TB, url string) *IPPTransport {
	tb.Helper()
	tr, err := Open(url)
	if err != nil {
		tb.Fatalf("Open(%q): %v", url, err)
	}
	it, ok := tr.(*IPPTransport)
	if !ok {
		tb.Fatalf("Open(%q) = %T, want *IPPTransport", url, tr)
	}
	return it
}

func printSlip(tb testing.TB, tr Transport, s Slip) error {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slipDeadline)
	defer cancel()
	return tr.Print(ctx, Job{Number: s.Number, TicketID: "t-" + s.Number, PDF: mustRender(tb, mustRenderer(tb), s)})
}

// TestIPPEverywhere prints to a real ippeveprinter: the slip arrives as the
// PDF sent; with the roll emptied through the printer's /media form the
// slip fails with media-empty/media-needed within the deadline, the job is
// cancelled, and after a refill slips print again.
func TestIPPEverywhere(t *testing.T) {
	needTool(t, "pdftotext")
	p := printertest.StartIPPPrinter(t)
	tr := mustOpenIPP(t, p.URL)
	ctx := context.Background()

	st, err := tr.Status(ctx)
	if err != nil || st.State != StateOK {
		t.Fatalf("Status = %+v, %v; want ok", st, err)
	}

	s := testSlip("uk")
	s.Number = "M-101"
	if err := printSlip(t, tr, s); err != nil {
		t.Fatalf("Print: %v", err)
	}
	files := p.SpooledPDFs(t)
	if len(files) != 1 {
		t.Fatalf("spooled files = %v, want one", files)
	}
	if text := pdfText(t, files[0]); !strings.Contains(text, "M-101") {
		t.Errorf("spooled slip text lacks the number M-101:\n%s", text)
	}

	// The job is the service's own, so that it may cancel it later.
	if owner := jobOwner(t, tr, 1); owner != ippUser {
		t.Errorf("job 1 belongs to %q, want %q (Cancel-Job needs the owner)", owner, ippUser)
	}

	// Paper out.
	p.SetMediaLevel(t, 0)
	st, _ = tr.Status(ctx)
	if st.State != StateError || !st.Has(ReasonMediaEmpty) {
		t.Errorf("Status with an empty roll = %+v, want error with media-empty", st)
	}
	s.Number = "M-102"
	start := time.Now()
	err = printSlip(t, tr, s)
	took := time.Since(start)
	var pe *PrintError
	if !errors.As(err, &pe) {
		t.Fatalf("Print with an empty roll = %v, want a *PrintError", err)
	}
	if !pe.Has(ReasonMediaEmpty) && !pe.Has(ReasonMediaNeeded) {
		t.Errorf("PrintError reasons = %v, want media-empty or media-needed", pe.Reasons)
	}
	if !pe.Has(ReasonTimeout) {
		t.Errorf("PrintError reasons = %v, want timeout too", pe.Reasons)
	}
	if took > slipDeadline+time.Second {
		t.Errorf("Print took %v, more than the %v deadline", took, slipDeadline)
	}
	t.Logf("paper out: %v after %v", err, took.Round(time.Millisecond))
	// The job was cancelled. (ippeveprinter marks a job that waits for paper
	// as stopping, and still prints it once paper is back; a printer does not.)
	if state, reasons := rawJobState(t, tr, 2); state != jobCanceled && !slices.Contains(reasons, "processing-to-stop-point") {
		t.Errorf("job 2 after the deadline: state %d %v, want cancelled or stopping", state, reasons)
	}

	// Refilled: the cancelled slip stays cancelled, the next one prints.
	p.SetMediaLevel(t, 250)
	if st, _ = tr.Status(ctx); st.State != StateOK {
		t.Errorf("Status after refill = %+v, want ok", st)
	}
	s.Number = "M-103"
	if err := printSlip(t, tr, s); err != nil {
		t.Fatalf("Print after refill: %v", err)
	}
	var printed []string
	for _, f := range p.PrintedPDFs(t) {
		printed = append(printed, pdfText(t, f))
	}
	if len(printed) < 2 || !strings.Contains(printed[0], "M-101") || !strings.Contains(printed[len(printed)-1], "M-103") {
		t.Errorf("printed slips = %q, want M-101 first and M-103 last", printed)
	}
}

// jobOwner asks who a job belongs to.
func jobOwner(tb testing.TB, tr *IPPTransport, jobID int) string {
	tb.Helper()
	req := tr.request(goipp.OpGetJobAttributes)
	req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
	resp, err := tr.do(context.Background(), req, nil)
	if err != nil {
		tb.Fatalf("Get-Job-Attributes: %v", err)
	}
	names := attrStrings(resp.Job, "job-originating-user-name")
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// rawJobState asks for a job's state and all its reasons.
func rawJobState(tb testing.TB, tr *IPPTransport, jobID int) (int, []string) {
	tb.Helper()
	req := tr.request(goipp.OpGetJobAttributes)
	req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
	resp, err := tr.do(context.Background(), req, nil)
	if err != nil {
		tb.Fatalf("Get-Job-Attributes: %v", err)
	}
	state, _ := attrInt(resp.Job, "job-state")
	return state, attrStrings(resp.Job, "job-state-reasons")
}

// TestIPPOffline: nothing listens on the port, as when the printer is off.
func TestIPPOffline(t *testing.T) {
	testOffline(t, mustOpenIPP(t, "ipp://"+closedAddr(t)+"/ipp/print"))
}

// closedAddr returns host:port of a local port that nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testOffline checks a transport whose printer does not listen: Print
// fails fast with reason offline, and so does Status.
func testOffline(t *testing.T, tr interface {
	Transport
	StatusReporter
}) {
	t.Helper()
	start := time.Now()
	err := printSlip(t, tr, testSlip("de"))
	if got := Reasons(err); !slices.Equal(got, []string{ReasonOffline}) {
		t.Errorf("Print to a closed port: reasons %v (%v), want [offline]", got, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Print to a closed port took %v; want it to fail fast", took)
	}
	st, err := tr.Status(context.Background())
	if err == nil || st.State != StateError || !st.Has(ReasonOffline) {
		t.Errorf("Status = %+v, %v; want error with offline", st, err)
	}
}

func TestChooseMedia(t *testing.T) {
	for _, tc := range []struct {
		name             string
		paper            float64
		ready, supported []string
		want             string
	}{
		{"ippeveprinter default list", 80, []string{"na_letter_8.5x11in"},
			[]string{"na_letter_8.5x11in", "na_legal_8.5x14in", "iso_a4_210x297mm", "na_number-10_4.125x9.5in", "iso_dl_110x220mm"}, ""},
		{"roll loaded", 80, []string{"oe_80x297mm_80x297mm"}, []string{"roll_max_80x3276.8mm", "oe_80x297mm_80x297mm"}, "oe_80x297mm_80x297mm"},
		{"ready first", 80, []string{"om_79.5x200mm_79.5x200mm"}, []string{"oe_80x297mm_80x297mm"}, "om_79.5x200mm_79.5x200mm"},
		{"supported when nothing ready fits", 80, []string{"iso_a4_210x297mm"}, []string{"oe_3.15x11in_3.15x11in"}, "oe_3.15x11in_3.15x11in"},
		{"roll ranges are no size", 80, nil, []string{"roll_min_58x10mm", "roll_max_80x3276.8mm"}, ""},
		{"58 mm paper", 58, nil, []string{"oe_80x297mm_80x297mm", "oe_58x297mm_58x297mm"}, "oe_58x297mm_58x297mm"},
		{"not self-describing", 80, []string{"Letter", "custom"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chooseMedia(tc.paper, tc.ready, tc.supported); got != tc.want {
				t.Fatalf("chooseMedia = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPrinterStatus(t *testing.T) {
	attrs := func(state int, reasons ...string) goipp.Attributes {
		var a goipp.Attributes
		a.Add(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(state)))
		vals := make([]goipp.Value, len(reasons))
		for i, r := range reasons {
			vals[i] = goipp.String(r)
		}
		a.Add(goipp.MakeAttr("printer-state-reasons", goipp.TagKeyword, vals[0], vals[1:]...))
		return a
	}
	for _, tc := range []struct {
		name    string
		attrs   goipp.Attributes
		state   State
		reasons []string
	}{
		{"idle", attrs(3, "none"), StateOK, nil},
		{"ippeveprinter empty roll", attrs(3, "media-empty-report"), StateError, []string{ReasonMediaEmpty}},
		{"job waits for paper", attrs(4, "media-needed-warning", "media-empty-error"), StateError, []string{ReasonMediaNeeded, ReasonMediaEmpty}},
		{"near end", attrs(4, "media-low-warning"), StateWarning, []string{ReasonMediaLow}},
		{"low and open", attrs(3, "media-low-report", "door-open-error"), StateError, []string{ReasonDoorOpen, ReasonMediaLow}},
		{"cups info", attrs(4, "cups-waiting-for-job-completed"), StateOK, nil},
		{"unknown error", attrs(3, "fuser-over-temp-error"), StateError, []string{"fuser-over-temp"}},
		{"unknown warning", attrs(3, "developer-low-warning"), StateWarning, []string{"developer-low"}},
		{"stopped", attrs(5, "none"), StateError, []string{ReasonStopped}},
		{"offline", attrs(5, "offline-report"), StateError, []string{ReasonOffline}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := printerStatus(tc.attrs)
			if st.State != tc.state || !slices.Equal(st.Reasons, tc.reasons) {
				t.Fatalf("printerStatus = %s %v, want %s %v", st.State, st.Reasons, tc.state, tc.reasons)
			}
		})
	}
}
