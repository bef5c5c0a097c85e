// Package config reads boxoffice's configuration from the environment and
// from a .env file in the working directory; the environment wins. The
// original app's .env works as it is.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Engines.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DefaultSQLitePath is where the embedded database lives when no database
// is configured.
const DefaultSQLitePath = "boxoffice.db"

// Config is every setting of the server and the CLI.
type Config struct {
	Host string // HOST
	Port int    // PORT

	Production bool       // NODE_ENV=production: JSON logs (development and test: text)
	LogLevel   slog.Level // LOG_LEVEL

	Engine           string        // postgres or sqlite, from the settings below
	PostgresURL      string        // DATABASE_URL=postgres://…, or built from DB_*
	PostgresSchema   string        // DB_SCHEMA: every table lives in it
	SQLitePath       string        // DATABASE_URL=sqlite:PATH, default ./boxoffice.db
	DBMaxConns       int           // DB_MAX_CONNS
	StatementTimeout time.Duration // DB_STATEMENT_TIMEOUT
	LockTimeout      time.Duration // DB_LOCK_TIMEOUT: longest wait for a row lock (PostgreSQL)

	RequestTimeout  time.Duration // HTTP_REQUEST_TIMEOUT
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT
	Introspection   bool          // GRAPHQL_INTROSPECTION

	JWTSecret         string        // JWT_SECRET: at least 32 bytes; required on PostgreSQL
	TokenTTL          time.Duration // TOKEN_TTL
	RedisURL          string        // REDIS_URL: share rate limits between servers
	RedisPrefix       string        // REDIS_PREFIX: namespace of boxoffice's keys
	CORSOrigins       []string      // CORS_ORIGINS: comma-separated
	TrustProxy        bool          // TRUST_PROXY: client address from X-Forwarded-For
	MutationsPerMin   int           // RATE_LIMIT_MUTATIONS_PER_MINUTE, per user
	SignInAttemptsMin int           // RATE_LIMIT_SIGNIN_PER_MINUTE, per email
	PprofAddr         string        // PPROF_ADDR: serve Go's profiler there (loopback only)
	MetricsAddr       string        // METRICS_ADDR: serve Prometheus metrics there; "": none
	BookingLanes      int           // BOOKING_LANES: booking transactions in flight at once
	SoldOutTTL        time.Duration // SOLD_OUT_TTL: how long an event seen sold out is refused from memory
	AuthCacheTTL      time.Duration // AUTH_CACHE_TTL: how long a user's token version and role are trusted from memory; 0: never

	PaymentProvider string        // PAYMENT_PROVIDER: none, test or stripe
	HoldTTL         time.Duration // HOLD_TTL: how long a booking to pay holds its tickets
	OfferTTL        time.Duration // WAITLIST_OFFER_TTL: how long a waiting list's offer to pay holds its tickets
	Currency        string        // CURRENCY: ISO 4217 code of new events' prices

	StripeSecretKey     string // STRIPE_SECRET_KEY: sk_… or rk_…; required by serve with PAYMENT_PROVIDER=stripe
	StripeWebhookSecret string // STRIPE_WEBHOOK_SECRET: whsec_…, the webhook endpoint's signing secret; required likewise
	StripeAPIURL        string // STRIPE_API_URL: Stripe's API, or a mock's; "": Stripe's own

	// Telling people what happened (delivery.go).
	SMTPURL             string // SMTP_URL: the mail server; "": mail goes to the outbox folder
	MailFrom            string // MAIL_FROM: the From address of every message
	WebhookAllowPrivate bool   // WEBHOOK_ALLOW_PRIVATE: webhooks may reach loopback and private addresses
	NATSURL             string // NATS_URL: publish domain changes to NATS JetStream; "": off
	NATSStream          string // NATS_STREAM: the JetStream stream's name
}

// Payment providers.
const (
	PaymentsNone   = "none"
	PaymentsTest   = "test"
	PaymentsStripe = "stripe"
)

// MinJWTSecret is the shortest JWT_SECRET accepted, in bytes.
const MinJWTSecret = 32

// Addr is the address the server listens on.
func (c Config) Addr() string { return fmt.Sprintf("%s:%d", c.Host, c.Port) }

// Load reads the configuration from the process environment and from the
// .env file in dir (missing is fine). An error names the variable at fault.
func Load(dir string) (Config, error) {
	dotenv, err := godotenv.Read(filepath.Join(dir, ".env"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf(".env: %w", err)
	}
	return Parse(func(key string) (string, bool) {
		if v, ok := os.LookupEnv(key); ok {
			return v, true
		}
		v, ok := dotenv[key]
		return v, ok
	})
}

// Parse builds a Config from lookup, which returns a variable's value.
func Parse(lookup func(string) (string, bool)) (Config, error) {
	e := env{lookup: lookup}
	c := Config{
		Host:             e.str("HOST", "localhost"),
		Port:             e.integer("PORT", 3000, 0, 65535),
		Production:       e.oneOf("NODE_ENV", "development", "production", "test") == "production",
		LogLevel:         e.level("LOG_LEVEL", slog.LevelInfo),
		DBMaxConns:       e.integer("DB_MAX_CONNS", 16, 1, 1000),
		StatementTimeout: e.duration("DB_STATEMENT_TIMEOUT", 10*time.Second),
		LockTimeout:      e.duration("DB_LOCK_TIMEOUT", 2*time.Second),
		RequestTimeout:   e.duration("HTTP_REQUEST_TIMEOUT", 30*time.Second),
		ShutdownTimeout:  e.duration("SHUTDOWN_TIMEOUT", 30*time.Second),
		Introspection:    e.boolean("GRAPHQL_INTROSPECTION", true),

		JWTSecret:         e.str("JWT_SECRET", ""),
		TokenTTL:          e.duration("TOKEN_TTL", 24*time.Hour),
		RedisURL:          e.str("REDIS_URL", ""),
		RedisPrefix:       e.str("REDIS_PREFIX", "boxoffice:"),
		CORSOrigins:       e.list("CORS_ORIGINS"),
		TrustProxy:        e.boolean("TRUST_PROXY", false),
		MutationsPerMin:   e.integer("RATE_LIMIT_MUTATIONS_PER_MINUTE", 120, 0, 1_000_000),
		SignInAttemptsMin: e.integer("RATE_LIMIT_SIGNIN_PER_MINUTE", 5, 0, 10_000),
		PprofAddr:         e.str("PPROF_ADDR", ""),
		MetricsAddr:       e.str("METRICS_ADDR", ""),
		BookingLanes:      e.integer("BOOKING_LANES", 2, 1, 64),
		SoldOutTTL:        e.duration("SOLD_OUT_TTL", time.Second),
		AuthCacheTTL:      e.durationOrZero("AUTH_CACHE_TTL", time.Minute),

		PaymentProvider: e.str("PAYMENT_PROVIDER", PaymentsNone),
		HoldTTL:         e.duration("HOLD_TTL", 15*time.Minute),
		OfferTTL:        e.duration("WAITLIST_OFFER_TTL", 2*time.Hour),
		Currency:        e.str("CURRENCY", "EUR"),

		StripeSecretKey:     strings.TrimSpace(e.str("STRIPE_SECRET_KEY", "")),
		StripeWebhookSecret: strings.TrimSpace(e.str("STRIPE_WEBHOOK_SECRET", "")),
		StripeAPIURL:        e.str("STRIPE_API_URL", ""),
	}
	switch c.PaymentProvider {
	case PaymentsNone, PaymentsTest, PaymentsStripe:
	default:
		e.fail("PAYMENT_PROVIDER", "must be none (bookings are confirmed at once), test (the built-in test provider) or stripe")
	}
	e.stripe(&c)
	if len(c.Currency) != 3 || strings.ToUpper(c.Currency) != c.Currency || strings.Trim(c.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		e.fail("CURRENCY", "must be an ISO 4217 code of three capital letters, such as EUR or USD")
	}
	if c.PprofAddr != "" && !loopback(c.PprofAddr) {
		e.fail("PPROF_ADDR", "must be a loopback address such as 127.0.0.1:6060: profiles expose the process")
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		e.fail("METRICS_ADDR", "must be a host:port to listen on, such as 10.0.0.5:9090 or 127.0.0.1:9090")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinJWTSecret {
		e.fail("JWT_SECRET", "must be at least %d bytes long (try: openssl rand -hex 32)", MinJWTSecret)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		e.fail("REDIS_URL", "must start with redis:// or rediss://")
	}
	e.database(&c)
	e.delivery(&c)
	if e.err != nil {
		return Config{}, e.err
	}
	return c, nil
}

// stripe checks the Stripe settings that are set. Their absence is
// serve's to refuse (RequirePaymentSecrets): the other commands need none.
func (e *env) stripe(c *Config) {
	switch key := c.StripeSecretKey; {
	case key == "":
	case strings.HasPrefix(key, "pk_"):
		e.fail("STRIPE_SECRET_KEY", "is a publishable key (pk_…): use the secret key (sk_…) or a restricted key (rk_…) from the Stripe Dashboard's API keys")
	case !strings.HasPrefix(key, "sk_") && !strings.HasPrefix(key, "rk_"):
		e.fail("STRIPE_SECRET_KEY", "must be a Stripe secret key (sk_…) or restricted key (rk_…)")
	}
	if s := c.StripeWebhookSecret; s != "" && !strings.HasPrefix(s, "whsec_") {
		e.fail("STRIPE_WEBHOOK_SECRET", "must be a webhook endpoint's signing secret (whsec_…), as the Dashboard or `stripe listen` shows it")
	}
	if raw := c.StripeAPIURL; raw != "" {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			e.fail("STRIPE_API_URL", "must be an http:// or https:// URL, such as http://127.0.0.1:12111 for stripe-mock; unset, Stripe's own")
		}
	}
}

// RequirePaymentSecrets is what serve needs of the payment settings: with
// PAYMENT_PROVIDER=stripe, both secrets. The error names the first missing.
func (c Config) RequirePaymentSecrets() error {
	if c.PaymentProvider != PaymentsStripe {
		return nil
	}
	if c.StripeSecretKey == "" {
		return errors.New("STRIPE_SECRET_KEY is required with PAYMENT_PROVIDER=stripe: the secret key (sk_…) from the Stripe Dashboard's API keys")
	}
	if c.StripeWebhookSecret == "" {
		return errors.New("STRIPE_WEBHOOK_SECRET is required with PAYMENT_PROVIDER=stripe: the signing secret (whsec_…) of the webhook endpoint " +
			"for /webhooks/stripe, or the one `stripe listen` prints")
	}
	return nil
}

// database picks the engine: DATABASE_URL if set, else PostgreSQL from the
// DB_* variables if DB_HOST or DB_NAME is set, else the embedded database.
func (e *env) database(c *Config) {
	c.PostgresSchema = e.str("DB_SCHEMA", "")
	if raw, ok := e.lookup("DATABASE_URL"); ok && raw != "" {
		switch {
		case strings.HasPrefix(raw, "sqlite:"):
			c.Engine, c.SQLitePath = SQLite, strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
			if c.SQLitePath == "" {
				e.fail("DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:./boxoffice.db")
			}
		case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
			if _, err := url.Parse(raw); err != nil {
				e.fail("DATABASE_URL", "is not a valid URL")
			}
			c.Engine, c.PostgresURL = Postgres, raw
		default:
			e.fail("DATABASE_URL", "must start with postgres://, postgresql:// or sqlite:")
		}
		return
	}
	host, hasHost := e.lookup("DB_HOST")
	name, hasName := e.lookup("DB_NAME")
	if !hasHost && !hasName {
		c.Engine, c.SQLitePath = SQLite, DefaultSQLitePath
		return
	}
	if host == "" {
		host = "localhost"
	}
	if name == "" {
		name = "postgres"
	}
	port := e.integer("DB_PORT", 5432, 1, 65535)
	sslmode := "disable"
	if e.boolean("DB_SSL_ENABLED", false) {
		sslmode = "require"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(e.str("DB_USERNAME", "postgres"), e.str("DB_PASSWORD", "")),
		Host:     fmt.Sprintf("%s:%d", host, port),
		Path:     "/" + name,
		RawQuery: "sslmode=" + sslmode,
	}
	if pw, _ := e.lookup("DB_PASSWORD"); pw == "" {
		u.User = url.User(e.str("DB_USERNAME", "postgres"))
	}
	c.Engine, c.PostgresURL = Postgres, u.String()
}

// loopback reports whether addr (host:port) is on this machine only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
