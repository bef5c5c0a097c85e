package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/internal/smtptest"
)

// TestSMTPOutageIsReported: /readyz reports the mail server of SMTP_URL,
// degraded (the server still ready) while nothing answers there, ready
// when it does.
func TestSMTPOutageIsReported(t *testing.T) {
	dead := fmt.Sprintf("smtp://127.0.0.1:%d?starttls=off", freePort(t))
	s := startServer(t, workdir(t), "SMTP_URL="+dead)
	detail := s.wantReadiness(t, 200, "degraded", "smtp", "degraded")
	if !strings.Contains(detail, "SMTP server unreachable") {
		t.Errorf("smtp detail %q", detail)
	}
	s.stop(t)

	mailServer := smtptest.Start(t)
	s = startServer(t, workdir(t), "SMTP_URL="+mailServer.URL())
	s.wantReadiness(t, 200, "ready", "smtp", "ready")
}
