package flags

import (
	"errors"
	"regexp"
	"strings"
)

// userinfo is the user:password@ part of a redis:// or rediss:// URL, found without parsing
// the URL, because a URL that does not parse must be redacted too. The password runs to the
// last '@' before the path.
var userinfo = regexp.MustCompile(`^(rediss?://[^:@/]*):([^/]*)@`)

// RedactURL is a Redis address as it may be shown: the password of a redis:// URL replaced
// by xxxxx. Every message of this package that shows an address shows it this way.
func RedactURL(addr string) string {
	return userinfo.ReplaceAllString(addr, "${1}:xxxxx@")
}

// urlPassword is the password inside a redis:// URL, "" when there is none.
func urlPassword(addr string) string {
	if m := userinfo.FindStringSubmatch(addr); m != nil {
		return m[2]
	}
	return ""
}

// redactErr removes secrets from an error's text (a URL parser quotes the whole URL).
func redactErr(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
