package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/OpenPrinting/goipp"
)

// IPP timing.
const (
	ippDialTimeout   = 3 * time.Second        // a printer that is off fails fast, not at the print deadline
	ippPollInterval  = 200 * time.Millisecond // job state; a slip takes a second or two on a thermal printer
	ippCancelTimeout = 3 * time.Second        // Cancel-Job after the print deadline, on a fresh context
	ippMaxResponse   = 4 << 20                // Get-Printer-Attributes with a media-col-database stays far below
)

// ippUser is the requesting-user-name of every request (see request).
const ippUser = "wartemarke"

// IPP job-state values (RFC 8011 5.3.7) that end a job; the others
// (pending, held, processing, stopped) mean wait.
const (
	jobCanceled  = 7
	jobAborted   = 8
	jobCompleted = 9
)

// IPP printer-state values (RFC 8011 5.4.11).
const printerStopped = 5

// IPPTransport prints slips as PDF to an IPP Everywhere printer or a CUPS
// queue, and follows each job until it completes or the deadline passes.
// It is safe for concurrent use.
type IPPTransport struct {
	printerURI string        // ipp://host:port/path, as the printer knows itself
	endpoint   string        // the same as http(s)://, where requests are POSTed
	user       *url.Userinfo // HTTP basic authentication, if the URL has any
	paperMM    float64       // paper width, to pick the printer's roll media
	client     *http.Client
	requestID  atomic.Uint32
}

// newIPP builds the transport for an ipp:// or ipps:// URL: ipp maps to
// http with port 631 by default, ipps to https. An empty path means
// /ipp/print, the IPP Everywhere default.
func newIPP(u *url.URL, o Options) (*IPPTransport, error) {
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("printer: IPP URL %q has no host; want ipp://host[:port]/path", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("printer: IPP URL %q: query and fragment are not supported", u.Redacted())
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "631")
	}
	path := u.Path
	if path == "" || path == "/" {
		path = "/ipp/print"
	}
	scheme := "http"
	if strings.EqualFold(u.Scheme, "ipps") {
		scheme = "https"
	}
	printerURI := (&url.URL{Scheme: strings.ToLower(u.Scheme), Host: host, Path: path}).String()
	endpoint := (&url.URL{Scheme: scheme, Host: host, Path: path}).String()
	dialer := &net.Dialer{Timeout: ippDialTimeout, KeepAlive: 30 * time.Second}
	return &IPPTransport{
		printerURI: printerURI,
		endpoint:   endpoint,
		user:       u.User,
		paperMM:    o.WidthMM,
		client: &http.Client{
			Transport: &http.Transport{
				DialContext:         dialer.DialContext,
				TLSHandshakeTimeout: ippDialTimeout,
				MaxIdleConnsPerHost: 2,
				IdleConnTimeout:     30 * time.Second,
			},
			// IPP never redirects; a redirect is a misconfigured URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// String returns the printer URI, without credentials.
func (t *IPPTransport) String() string { return t.printerURI }

// Print sends the slip with Print-Job and follows job-state and
// printer-state-reasons until the job completes. When ctx ends first, the
// job is cancelled (so that it does not come out minutes later, when the
// visitor has gone) and Print returns a PrintError with the reasons the
// printer gave, plus timeout. Any error Print returns is a *PrintError.
func (t *IPPTransport) Print(ctx context.Context, job Job) error {
	if err := job.check(); err != nil {
		return printError(err, ReasonOther)
	}
	attrs, err := t.printerAttributes(ctx, "printer-state", "printer-state-reasons", "printer-state-message",
		"printer-is-accepting-jobs", "document-format-supported", "media-ready", "media-supported")
	if err != nil {
		return printError(err)
	}
	if formats := attrStrings(attrs, "document-format-supported"); len(formats) > 0 && !slices.Contains(formats, "application/pdf") {
		return printError(fmt.Errorf("%s does not accept PDF (it takes %s)", t, strings.Join(formats, ", ")), ReasonOther)
	}
	seen := printerStatus(attrs).Reasons

	req := t.request(goipp.OpPrintJob)
	req.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String("Wartemarke "+job.Number)))
	req.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("application/pdf")))
	if media := chooseMedia(t.paperMM, attrStrings(attrs, "media-ready"), attrStrings(attrs, "media-supported")); media != "" {
		req.Job.Add(goipp.MakeAttribute("media", goipp.TagKeyword, goipp.String(media)))
	}
	resp, err := t.submit(ctx, req, job.PDF)
	if err != nil {
		return printError(err, append(faults(seen), connReasons(err)...)...)
	}
	jobID, ok := attrInt(resp.Job, "job-id")
	if !ok {
		return printError(errors.New("Print-Job answer has no job-id"), ReasonOther)
	}

	tick := time.NewTicker(ippPollInterval)
	defer tick.Stop()
	var pollErr error // the last poll's failure, if the printer stopped answering
	for {
		state, jobReasons, msg, err := t.jobState(ctx, jobID)
		pollErr = err
		if err == nil {
			seen = dedup(append(seen, jobReasons...))
			if pa, err := t.printerAttributes(ctx, "printer-state", "printer-state-reasons", "printer-state-message"); err == nil {
				seen = dedup(append(seen, printerStatus(pa).Reasons...))
			}
			switch state {
			case jobCompleted:
				return nil
			case jobCanceled, jobAborted:
				reasons := faults(seen)
				if len(reasons) == 0 {
					reasons = []string{ReasonOther}
				}
				what := "aborted"
				if state == jobCanceled {
					what = "cancelled"
				}
				return printError(fmt.Errorf("job %d %s by the printer: %s", jobID, what, msg), reasons...)
			}
		}
		select {
		case <-ctx.Done():
			t.cancelJob(ctx, jobID)
			reasons := orderReasons(seen)
			if pollErr != nil && !errors.Is(pollErr, ctx.Err()) {
				reasons = append(reasons, connReasons(pollErr)...) // e.g. offline since the job was sent
			}
			return printError(fmt.Errorf("job %d not printed in time: %w", jobID, ctx.Err()),
				append(reasons, ReasonTimeout)...)
		case <-tick.C:
		}
	}
}

// submit sends Print-Job. A printer busy with another job (ippeveprinter
// takes one at a time) is asked again until ctx ends.
func (t *IPPTransport) submit(ctx context.Context, req *goipp.Message, pdf []byte) (*goipp.Message, error) {
	for {
		resp, err := t.do(ctx, req, pdf)
		var se *ippStatusError
		if !errors.As(err, &se) || se.status != goipp.StatusErrorBusy {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(ippPollInterval):
		}
		req.RequestID = t.requestID.Add(1)
	}
}

// Status asks the printer with Get-Printer-Attributes.
func (t *IPPTransport) Status(ctx context.Context) (Status, error) {
	attrs, err := t.printerAttributes(ctx, "printer-state", "printer-state-reasons", "printer-state-message")
	if err != nil {
		return Status{State: StateError, Reasons: connReasons(err), Checked: time.Now(), Detail: err.Error()}, err
	}
	return printerStatus(attrs), nil
}

// jobState asks for a job's state, its reasons without the progress ones
// (job-printing, job-queued …), and its message.
func (t *IPPTransport) jobState(ctx context.Context, jobID int) (state int, reasons []string, msg string, err error) {
	req := t.request(goipp.OpGetJobAttributes)
	req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
	req.Operation.Add(goipp.MakeAttr("requested-attributes", goipp.TagKeyword,
		goipp.String("job-state"), goipp.String("job-state-reasons"), goipp.String("job-state-message")))
	resp, err := t.do(ctx, req, nil)
	if err != nil {
		return 0, nil, "", err
	}
	state, ok := attrInt(resp.Job, "job-state")
	if !ok {
		return 0, nil, "", errors.New("Get-Job-Attributes answer has no job-state")
	}
	for _, r := range attrStrings(resp.Job, "job-state-reasons") {
		if r != "none" && !strings.HasPrefix(r, "job-") && r != "processing-to-stop-point" && r != "queued-in-device" {
			reasons = append(reasons, reasonKeyword(r))
		}
	}
	if m := attrStrings(resp.Job, "job-state-message"); len(m) > 0 {
		msg = m[0]
	}
	return state, reasons, msg, nil
}

// cancelJob cancels a job whose deadline has passed. ctx has ended, so the
// request gets a short context of its own; its failure changes nothing for
// the caller, who already learns that the slip did not print.
func (t *IPPTransport) cancelJob(ctx context.Context, jobID int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ippCancelTimeout)
	defer cancel()
	req := t.request(goipp.OpCancelJob)
	req.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
	t.do(ctx, req, nil) //nolint:errcheck // best effort, see above
}

// printerAttributes asks for the named printer attributes.
func (t *IPPTransport) printerAttributes(ctx context.Context, names ...string) (goipp.Attributes, error) {
	req := t.request(goipp.OpGetPrinterAttributes)
	vals := make([]goipp.Value, len(names))
	for i, n := range names {
		vals[i] = goipp.String(n)
	}
	req.Operation.Add(goipp.MakeAttr("requested-attributes", goipp.TagKeyword, vals[0], vals[1:]...))
	resp, err := t.do(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	return resp.Printer, nil
}

// request starts a request with the operation attributes every one needs,
// in the order RFC 8011 asks for.
func (t *IPPTransport) request(op goipp.Op) *goipp.Message {
	req := goipp.NewRequest(goipp.DefaultVersion, op, t.requestID.Add(1))
	req.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	req.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("de")))
	req.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(t.printerURI)))
	// The same user on every request: a CUPS queue lets only a job's
	// owner cancel it, and the owner is the Print-Job's user.
	req.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String(ippUser)))
	return req
}

// ippStatusError is an IPP response with an error status.
type ippStatusError struct {
	status goipp.Status
	msg    string
}

// reasons classifies the refusals that say something about the printer.
func (e *ippStatusError) reasons() []string {
	switch e.status {
	case goipp.StatusErrorNotAcceptingJobs:
		return []string{ReasonStopped}
	case goipp.StatusErrorServiceUnavailable:
		return []string{ReasonOffline}
	}
	return []string{ReasonOther}
}

func (e *ippStatusError) Error() string {
	if e.msg != "" {
		return fmt.Sprintf("IPP %s: %s", e.status, e.msg)
	}
	return "IPP " + e.status.String()
}

// do POSTs one IPP request, followed by doc if any, and decodes the answer.
func (t *IPPTransport) do(ctx context.Context, req *goipp.Message, doc []byte) (*goipp.Message, error) {
	head, err := req.EncodeBytes()
	if err != nil {
		return nil, err
	}
	body := io.MultiReader(bytes.NewReader(head), bytes.NewReader(doc))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, body)
	if err != nil {
		return nil, err
	}
	hreq.ContentLength = int64(len(head) + len(doc))
	hreq.Header.Set("Content-Type", goipp.ContentType)
	if t.user != nil {
		pass, _ := t.user.Password()
		hreq.SetBasicAuth(t.user.Username(), pass)
	}
	hresp, err := t.client.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(hresp.Body, 64<<10)) //nolint:errcheck // only to reuse the connection
		return nil, fmt.Errorf("%s: HTTP %s", goipp.Op(req.Code), hresp.Status)
	}
	var resp goipp.Message
	if err := resp.Decode(io.LimitReader(hresp.Body, ippMaxResponse)); err != nil {
		return nil, fmt.Errorf("%s: decoding the answer: %w", goipp.Op(req.Code), err)
	}
	if st := goipp.Status(resp.Code); st >= 0x0100 {
		e := &ippStatusError{status: st}
		if m := attrStrings(resp.Operation, "status-message"); len(m) > 0 {
			e.msg = m[0]
		}
		return nil, e
	}
	return &resp, nil
}

// printerStatus turns printer-state, printer-state-reasons and
// printer-state-message into a Status.
func printerStatus(attrs goipp.Attributes) Status {
	var reasons []string
	for _, r := range attrStrings(attrs, "printer-state-reasons") {
		if k, ok := stateReason(r); ok {
			reasons = append(reasons, k)
		}
	}
	reasons = orderReasons(reasons)
	st := Status{State: stateOf(reasons), Reasons: reasons, Checked: time.Now()}
	if state, ok := attrInt(attrs, "printer-state"); ok && state == printerStopped && st.State != StateError {
		st.State = StateError
		st.Reasons = append([]string{ReasonStopped}, st.Reasons...)
	}
	if m := attrStrings(attrs, "printer-state-message"); len(m) > 0 {
		st.Detail = m[0]
	}
	return st
}

// faultPrefixes are the printer-state-reasons that keep a slip from
// printing, matched at the start of the keyword without its suffix.
var faultPrefixes = []string{
	ReasonMediaEmpty, ReasonMediaNeeded, ReasonMediaJam, ReasonCoverOpen, ReasonDoorOpen,
	"interlock-open", ReasonOffline, "shutdown", "paused", "input-tray-missing",
	"output-area-full", "marker-supply-empty", "toner-empty", "spool-area-full",
}

// warningPrefixes are the ones that still let slips print.
var warningPrefixes = []string{ReasonMediaLow, "marker-supply-low", "toner-low", "output-area-almost-full"}

// stateReason reads one printer-state-reasons keyword. Printers add the
// severity as a suffix, inconsistently (ippeveprinter reports an empty roll
// as media-empty-report): known faults and warnings count whatever the
// suffix; other keywords count only when marked -error or -warning, because
// CUPS adds informational ones without a suffix.
func stateReason(keyword string) (reason string, ok bool) {
	k := reasonKeyword(keyword)
	for _, p := range append(faultPrefixes, warningPrefixes...) {
		if strings.HasPrefix(k, p) {
			return p, true
		}
	}
	switch {
	case strings.HasSuffix(keyword, "-error"):
		return k, true
	case strings.HasSuffix(keyword, "-warning"):
		if !isWarning(k) {
			k += "-low" // keeps an unknown warning a warning in stateOf
		}
		return k, true
	}
	return "", false
}

// reasonKeyword strips the severity suffix of a state reason keyword.
func reasonKeyword(keyword string) string {
	for _, s := range []string{"-report", "-warning", "-error"} {
		if k, ok := strings.CutSuffix(keyword, s); ok {
			return k
		}
	}
	return keyword
}

// faults returns the reasons that keep slips from printing, errors first.
func faults(reasons []string) []string {
	var out []string
	for _, r := range orderReasons(reasons) {
		if !isWarning(r) {
			out = append(out, r)
		}
	}
	return out
}

// chooseMedia picks the printer's media keyword for the paper width: one it
// has loaded (media-ready) if any fits, else one it supports. Only
// self-describing PWG names (class_name_WxHmm or …in) are read, and roll
// ranges (roll_min_…, roll_max_…) are no size to ask for. "" means none fits:
// the printer uses its default.
func chooseMedia(paperMM float64, ready, supported []string) string {
	for _, list := range [][]string{ready, supported} {
		for _, m := range list {
			if w, ok := mediaWidthMM(m); ok && math.Abs(w-paperMM) <= 1.5 {
				return m
			}
		}
	}
	return ""
}

// mediaWidthMM reads the width out of a PWG 5101.1 self-describing media
// name such as oe_80x200mm_80x200mm or na_3.15x8in_3.15x8in.
func mediaWidthMM(name string) (float64, bool) {
	parts := strings.Split(name, "_")
	if len(parts) < 3 || parts[0] == "roll" && (parts[1] == "min" || parts[1] == "max") {
		return 0, false
	}
	dim := parts[2]
	unit := 1.0
	switch {
	case strings.HasSuffix(dim, "mm"):
		dim = strings.TrimSuffix(dim, "mm")
	case strings.HasSuffix(dim, "in"):
		dim, unit = strings.TrimSuffix(dim, "in"), 25.4
	default:
		return 0, false
	}
	w, _, ok := strings.Cut(dim, "x")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(w, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v * unit, true
}

// attrStrings returns the string values of the named attribute.
func attrStrings(attrs goipp.Attributes, name string) []string {
	for _, a := range attrs {
		if a.Name != name {
			continue
		}
		var out []string
		for _, v := range a.Values {
			if s, ok := v.V.(goipp.String); ok {
				out = append(out, string(s))
			}
		}
		return out
	}
	return nil
}

// attrInt returns the first integer or enum value of the named attribute.
func attrInt(attrs goipp.Attributes, name string) (int, bool) {
	for _, a := range attrs {
		if a.Name == name && len(a.Values) > 0 {
			if v, ok := a.Values[0].V.(goipp.Integer); ok {
				return int(v), true
			}
		}
	}
	return 0, false
}
