package ldsync

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// TroubleKind is the kind of failure a LaunchDarkly call met, judged by its status (never by
// the error's text).
type TroubleKind int

const (
	TroubleUnknown          TroubleKind = iota // not an *APIError: no status to judge by
	TroubleNotAnswering                        // no answer came (reset, refused, time-out, ...)
	TroubleUntrusted                           // the TLS certificate met was not accepted
	TroubleFailing                             // 5xx: LaunchDarkly answered that it is failing
	TroubleTokenRefused                        // 401, or 403 (the token lacks the rights)
	TroubleRateLimited                         // 429
	TroubleNotFound                            // 404: unknown project, environment or flag
	TroubleApprovalRequired                    // 405: the environment requires approvals
	TroubleConflict                            // 409: a concurrent change of the flag
	TroubleOther                               // another answer (400 ...)
)

// TokenSetting is where the API token is set, as every face names it; TokenFix is the step
// that mends a refused token, without the act that follows it (start again, run the command
// again), which is each face's own.
const (
	TokenSetting = "RC_LAUNCHDARKLY_API_TOKEN"
	TokenFix     = "Set " + TokenSetting + " to a token with writer rights (or launchdarkly.api_token in the config file)"
)

// Trouble is a failed LaunchDarkly call as both faces (the UI and the command line) tell it:
// its kind and the facts they phrase it with. What says what happened in the same words in
// both; each face adds the next step of its own act (a check, a replay, a patch).
type Trouble struct {
	Kind   TroubleKind
	Status int    // HTTP status; 0 when no answer came
	Code   string // LaunchDarkly's error code ("service_unavailable"), when it sent one
	// TroubleNotAnswering: what the connection did, in words ("connection reset by peer";
	// "" when not known), and the address it was made to (host:port).
	How, Addr string
	// TroubleTokenRefused: 403, a valid token without the rights for the call.
	LacksRights bool
	// TroubleRateLimited: when the limit resets; zero when LaunchDarkly did not say.
	Resets time.Time
}

// TroubleOf classifies err by the *APIError in its chain.
func TroubleOf(err error) Trouble {
	var ae *APIError
	if !errors.As(err, &ae) {
		return Trouble{Kind: TroubleUnknown}
	}
	t := Trouble{Status: ae.Status, Code: ae.Code}
	switch {
	case ae.Status == 0 && ae.Untrusted:
		t.Kind, t.How, t.Addr = TroubleUntrusted, ae.Cause, ae.Addr
	case ae.Status == 0:
		t.Kind, t.How, t.Addr = TroubleNotAnswering, ae.Cause, ae.Addr
	case ae.Status >= 500:
		t.Kind = TroubleFailing
	case ae.Status == http.StatusUnauthorized, ae.Status == http.StatusForbidden:
		t.Kind, t.LacksRights = TroubleTokenRefused, ae.Status == http.StatusForbidden
	case ae.Status == http.StatusTooManyRequests:
		t.Kind, t.Resets = TroubleRateLimited, ae.RetryAfter
	case ae.Status == http.StatusNotFound:
		t.Kind = TroubleNotFound
	case ae.Status == http.StatusMethodNotAllowed:
		t.Kind = TroubleApprovalRequired
	case ae.Status == http.StatusConflict:
		t.Kind = TroubleConflict
	default:
		t.Kind = TroubleOther
	}
	return t
}

// Outage says LaunchDarkly is down for now (no answer, or 5xx): waiting for it (arming) may
// mend it, unlike a refused token; and a write that met it may have landed unseen.
func (t Trouble) Outage() bool {
	return t.Kind == TroubleNotAnswering || t.Kind == TroubleFailing
}

// TokenRefused says LaunchDarkly refused the API token (401, 403): waiting does not mend it.
func (t Trouble) TokenRefused() bool { return t.Kind == TroubleTokenRefused }

// What is what happened, in words the same in every face, e.g. "LaunchDarkly does not answer
// (connection reset by peer at app.launchdarkly.com:443)".
func (t Trouble) What() string {
	switch t.Kind {
	case TroubleNotAnswering:
		how := t.How
		if how == "" {
			how = "no answer"
		}
		if t.Addr != "" {
			how += " at " + t.Addr
		}
		return "LaunchDarkly does not answer (" + how + ")"
	case TroubleUntrusted:
		return "LaunchDarkly's TLS certificate was not accepted at " + t.Addr +
			" (a proxy in between, or a certificate authority this machine lacks: SSL_CERT_FILE names a CA bundle)"
	case TroubleFailing:
		return "LaunchDarkly is failing (it answered " + t.answer() + ")"
	case TroubleTokenRefused:
		if t.LacksRights {
			return "LaunchDarkly refused the API token (403: it lacks the rights)"
		}
		return "LaunchDarkly refused the API token (401): it is not a valid access token"
	case TroubleRateLimited:
		return "LaunchDarkly is rate-limiting this token (429)"
	case TroubleNotFound:
		return "LaunchDarkly does not know the project, environment or flag (" + t.answer() + ")"
	case TroubleApprovalRequired:
		return "the environment requires approvals in LaunchDarkly (" + t.answer() + ")"
	case TroubleConflict:
		return "someone changed the flag in LaunchDarkly at the same moment (" + t.answer() + ")"
	case TroubleOther:
		return "LaunchDarkly answered " + t.answer()
	}
	return "LaunchDarkly's call failed"
}

// Short is the kind in a word or two, for a header: "unreachable", "token refused".
func (t Trouble) Short() string {
	switch t.Kind {
	case TroubleNotAnswering:
		return "unreachable"
	case TroubleUntrusted:
		return "certificate not accepted"
	case TroubleFailing:
		return "failing"
	case TroubleTokenRefused:
		return "token refused"
	case TroubleRateLimited:
		return "rate-limited"
	case TroubleNotFound:
		return "not found"
	case TroubleApprovalRequired:
		return "approval required"
	case TroubleConflict:
		return "conflict"
	case TroubleOther:
		return fmt.Sprintf("HTTP %d", t.Status)
	}
	return "failed"
}

// answer is the status and LaunchDarkly's code: "HTTP 503 service_unavailable".
func (t Trouble) answer() string {
	s := fmt.Sprintf("HTTP %d", t.Status)
	if t.Code != "" {
		s += " " + t.Code
	}
	return s
}
