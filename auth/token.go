package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// Issuer is the iss claim of every token.
	Issuer = "boxoffice"
	// MinSecretLength is the shortest HS256 secret NewTokens accepts.
	MinSecretLength = 32

	leeway         = 30 * time.Second // clock skew allowed on exp and iat
	maxTokenLength = 4096             // longer bearer tokens are refused unparsed
)

// Tokens issues and verifies HS256 bearer tokens. It is safe for concurrent
// use.
type Tokens struct {
	secret []byte
	ttl    time.Duration
}

// Claims is what a verified token says.
type Claims struct {
	UserID    string    // sub
	Version   int       // ver: the user's TokenVersion when it was issued
	ExpiresAt time.Time // exp
}

// tokenClaims is the JWT payload.
type tokenClaims struct {
	Version *int `json:"ver"` // a pointer to tell a missing ver from 0
	jwt.RegisteredClaims
}

// NewTokens returns Tokens that sign with secret and issue tokens valid for
// ttl. It refuses a secret shorter than MinSecretLength bytes and a ttl <= 0
// (plain errors: a configuration fault).
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("auth: token secret must be at least %d bytes, got %d", MinSecretLength, len(secret))
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("auth: token ttl must be positive, got %v", ttl)
	}
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl}, nil
}

// Issue returns a token for version version of user userID, valid from now
// for the ttl, and when it expires. Claims: sub, ver, iat, exp, iss, jti (a
// random id). Errors are internal (an empty userID or a negative version is
// a bug of the caller).
func (t *Tokens) Issue(userID string, version int, now time.Time) (token string, expiresAt time.Time, err error) {
	if userID == "" || version < 0 {
		return "", time.Time{}, fmt.Errorf("auth: issue: empty user id or negative version")
	}
	now = now.Truncate(time.Second) // JWT times are whole seconds
	expiresAt = now.Add(t.ttl)
	claims := tokenClaims{
		Version: &version,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			Issuer:    Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			ID:        rand.Text(),
		},
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, expiresAt, nil
}

var (
	errExpired = &boxoffice.Error{Code: boxoffice.EUNAUTHENTICATED, Message: "token expired"}
	errInvalid = &boxoffice.Error{Code: boxoffice.EUNAUTHENTICATED, Message: "invalid token"}
)

// Verify checks token at time now and returns its claims. Every failure is
// an EUNAUTHENTICATED *boxoffice.Error: "token expired" for a genuine but
// expired token, "invalid token" for anything else (garbage, a tampered or
// foreign signature, an algorithm other than HS256, a wrong issuer, a
// missing exp, sub or ver). Whether ver is still current is the caller's
// business.
func (t *Tokens) Verify(token string, now time.Time) (Claims, error) {
	if token == "" || len(token) > maxTokenLength {
		return Claims{}, errInvalid
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c tokenClaims
	_, err := p.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodHS256 { // belt and braces with WithValidMethods
			return nil, errors.New("unexpected signing method")
		}
		return t.secret, nil
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, errExpired
	case err != nil, c.Subject == "", c.Version == nil, *c.Version < 0, c.ExpiresAt == nil:
		return Claims{}, errInvalid
	}
	return Claims{UserID: c.Subject, Version: *c.Version, ExpiresAt: c.ExpiresAt.Time}, nil
}
