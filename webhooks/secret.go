package webhooks

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// SecretPrefix starts every secret, so that one is recognised in a
// configuration file or a leak scanner.
const SecretPrefix = "whsec_"

// Secret lengths, in bytes before base64, as the specification allows.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
	secretBytes    = 32 // what NewSecret makes: 256 bits, the size of the HMAC's hash
)

// NewSecret returns a new random signing secret, "whsec_" and the base64
// of 32 random bytes. Each endpoint gets its own; it is shown once, when
// the endpoint is registered.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhooks: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSecret returns the key bytes of a secret: base64 of 24 to 64
// bytes, with or without the "whsec_" prefix (receivers are often given
// the bare part).
func ParseSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhooks: a secret is %s followed by base64", SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("webhooks: a secret holds %d to %d bytes, this one %d", MinSecretBytes, MaxSecretBytes, len(key))
	}
	return key, nil
}
