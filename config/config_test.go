package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseOriginalEnv(t *testing.T) {
	// The original NestJS app's .env, verbatim.
	c, err := Parse(lookupFrom(map[string]string{
		"PORT": "3000", "NODE_ENV": "development", "HOST": "localhost",
		"DB_HOST": "localhost", "DB_PORT": "5432", "DB_USERNAME": "postgres", "DB_PASSWORD": "postgres",
		"DB_NAME": "event_ticket_booking", "DB_SCHEMA": "event_booking_2", "DB_SSL_ENABLED": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine != Postgres || c.PostgresSchema != "event_booking_2" || c.Addr() != "localhost:3000" || c.Production {
		t.Fatalf("unexpected config: %+v", c)
	}
	if want := "postgres://postgres:postgres@localhost:5432/event_ticket_booking?sslmode=disable"; c.PostgresURL != want {
		t.Fatalf("PostgresURL = %q, want %q", c.PostgresURL, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine != SQLite || c.SQLitePath != DefaultSQLitePath || c.Port != 3000 || c.Host != "localhost" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.LogLevel != slog.LevelInfo || c.RequestTimeout != 30*time.Second || !c.Introspection {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestParseDatabaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"sqlite:/tmp/x.db":                  SQLite,
		"sqlite:data/b.db":                  SQLite,
		"postgres://u@h:5432/d":             Postgres,
		"postgresql://u@h/d?sslmode=verify": Postgres,
	} {
		c, err := Parse(lookupFrom(map[string]string{"DATABASE_URL": raw, "DB_HOST": "ignored"}))
		if err != nil || c.Engine != want {
			t.Errorf("DATABASE_URL=%s: engine %q err %v, want %s", raw, c.Engine, err, want)
		}
	}
	c, _ := Parse(lookupFrom(map[string]string{"DATABASE_URL": "sqlite:data/b.db"}))
	if c.SQLitePath != "data/b.db" {
		t.Errorf("SQLitePath = %q", c.SQLitePath)
	}
	c, _ = Parse(lookupFrom(map[string]string{"DB_HOST": "db", "DB_SSL_ENABLED": "true"}))
	if !strings.Contains(c.PostgresURL, "sslmode=require") || !strings.HasPrefix(c.PostgresURL, "postgres://postgres@db:5432/") {
		t.Errorf("PostgresURL = %q", c.PostgresURL)
	}
}

func TestParseBadValueNamesVariable(t *testing.T) {
	for key, val := range map[string]string{
		"PORT": "abc", "DB_PORT": "70000", "DB_SSL_ENABLED": "maybe", "LOG_LEVEL": "loud",
		"HTTP_REQUEST_TIMEOUT": "-1s", "DATABASE_URL": "mysql://x", "GRAPHQL_INTROSPECTION": "2",
		"JWT_SECRET": "too-short", "REDIS_URL": "localhost:6379", "TOKEN_TTL": "forever",
		"RATE_LIMIT_SIGNIN_PER_MINUTE": "-1", "BOOKING_LANES": "0", "PPROF_ADDR": "0.0.0.0:6060",
		"AUTH_CACHE_TTL": "-1s", "SOLD_OUT_TTL": "0", "NODE_ENV": "prod",
	} {
		vars := map[string]string{key: val}
		if key == "DB_PORT" || key == "DB_SSL_ENABLED" {
			vars["DB_HOST"] = "localhost"
		}
		_, err := Parse(lookupFrom(vars))
		if err == nil || !strings.HasPrefix(err.Error(), key+" ") {
			t.Errorf("%s=%s: error %v, want one naming %s", key, val, err, key)
		}
	}
}

// TestNodeEnv: NODE_ENV takes the original app's values, and production
// switches the logs to JSON.
func TestNodeEnv(t *testing.T) {
	for val, production := range map[string]bool{"": false, "development": false, "test": false, "production": true, " production ": true} {
		c, err := Parse(lookupFrom(map[string]string{"NODE_ENV": val}))
		if err != nil || c.Production != production {
			t.Errorf("NODE_ENV=%q: production %v, err %v; want %v", val, c.Production, err, production)
		}
	}
	for _, val := range []string{"prod", "Production", "staging", "dev"} {
		_, err := Parse(lookupFrom(map[string]string{"NODE_ENV": val}))
		if err == nil || !strings.Contains(err.Error(), "NODE_ENV must be development, production or test") {
			t.Errorf("NODE_ENV=%q: error %v, want one naming the variable and its values", val, err)
		}
	}
}

func TestLoadEnvironmentWinsOverDotenv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=4000\nLOG_LEVEL=debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", "5000")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 5000 || c.LogLevel != slog.LevelDebug {
		t.Fatalf("got port %d level %v, want 5000 (environment) and debug (.env)", c.Port, c.LogLevel)
	}
}

func TestParseAccountsSettings(t *testing.T) {
	c, err := Parse(lookupFrom(map[string]string{
		"JWT_SECRET": strings.Repeat("s", 32), "CORS_ORIGINS": "https://a.example, https://b.example:8443,",
		"REDIS_URL": "redis://127.0.0.1:6379/0", "TRUST_PROXY": "true", "TOKEN_TTL": "2h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.example:8443" || !c.TrustProxy || c.TokenTTL != 2*time.Hour {
		t.Fatalf("unexpected: %+v", c)
	}
	if c.MutationsPerMin != 120 || c.SignInAttemptsMin != 5 {
		t.Fatalf("rate limit defaults: %d %d", c.MutationsPerMin, c.SignInAttemptsMin)
	}
	if c.AuthCacheTTL != time.Minute {
		t.Fatalf("AUTH_CACHE_TTL default: %v, want 1m", c.AuthCacheTTL)
	}
	for raw, want := range map[string]time.Duration{"0": 0, "30s": 30 * time.Second} {
		c, err := Parse(lookupFrom(map[string]string{"AUTH_CACHE_TTL": raw}))
		if err != nil || c.AuthCacheTTL != want {
			t.Errorf("AUTH_CACHE_TTL=%s: %v, %v; want %v", raw, c.AuthCacheTTL, err, want)
		}
	}
}

func TestParseStripeSettings(t *testing.T) {
	c, err := Parse(lookupFrom(map[string]string{
		"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_WEBHOOK_SECRET": "whsec_abc",
		"STRIPE_API_URL": "http://127.0.0.1:12111",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PaymentProvider != PaymentsStripe || c.StripeSecretKey != "sk_test_123" || c.StripeWebhookSecret != "whsec_abc" ||
		c.StripeAPIURL != "http://127.0.0.1:12111" {
		t.Fatalf("unexpected: %+v", c)
	}
	if err := c.RequirePaymentSecrets(); err != nil {
		t.Fatalf("both secrets set: %v", err)
	}
	if c, _ := Parse(lookupFrom(map[string]string{"STRIPE_SECRET_KEY": "rk_live_1"})); c.StripeSecretKey != "rk_live_1" || c.StripeAPIURL != "" {
		t.Errorf("a restricted key, no API URL: %+v", c)
	}

	for key, val := range map[string]string{
		"STRIPE_SECRET_KEY": "pk_test_123", "STRIPE_WEBHOOK_SECRET": "sk_test_123", "STRIPE_API_URL": "127.0.0.1:12111",
		"PAYMENT_PROVIDER": "paypal",
	} {
		_, err := Parse(lookupFrom(map[string]string{key: val}))
		if err == nil || !strings.HasPrefix(err.Error(), key+" ") {
			t.Errorf("%s=%s: error %v, want one naming %s", key, val, err, key)
		}
	}
	if _, err := Parse(lookupFrom(map[string]string{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "abc"})); err == nil ||
		strings.Contains(err.Error(), "sk_test_1") {
		t.Errorf("a bad webhook secret: %v; want an error that does not echo the secret key", err)
	}
}

// TestServeRequiresStripeSecrets: serve refuses PAYMENT_PROVIDER=stripe
// without either secret, naming the missing one; the other commands parse.
func TestServeRequiresStripeSecrets(t *testing.T) {
	for missing, vars := range map[string]map[string]string{
		"STRIPE_SECRET_KEY":     {"PAYMENT_PROVIDER": "stripe", "STRIPE_WEBHOOK_SECRET": "whsec_abc"},
		"STRIPE_WEBHOOK_SECRET": {"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_123"},
	} {
		c, err := Parse(lookupFrom(vars))
		if err != nil {
			t.Fatalf("without %s, Parse: %v; want only serve to refuse", missing, err)
		}
		err = c.RequirePaymentSecrets()
		if err == nil || !strings.HasPrefix(err.Error(), missing+" is required") {
			t.Errorf("without %s: %v, want an error naming it", missing, err)
		}
		if err != nil && strings.Contains(err.Error(), "sk_test_123") {
			t.Errorf("the error shows the secret key: %v", err)
		}
	}
	c, _ := Parse(lookupFrom(map[string]string{"PAYMENT_PROVIDER": "stripe"}))
	if err := c.RequirePaymentSecrets(); err == nil || !strings.HasPrefix(err.Error(), "STRIPE_SECRET_KEY ") {
		t.Errorf("with neither: %v, want STRIPE_SECRET_KEY named first", err)
	}
	for _, provider := range []string{"none", "test"} {
		c, _ := Parse(lookupFrom(map[string]string{"PAYMENT_PROVIDER": provider}))
		if err := c.RequirePaymentSecrets(); err != nil {
			t.Errorf("PAYMENT_PROVIDER=%s needs no Stripe secret: %v", provider, err)
		}
	}
}
