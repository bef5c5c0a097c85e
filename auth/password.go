// Package auth hashes passwords (argon2id) and issues and verifies bearer
// tokens (HS256 JWTs). It knows nothing of HTTP or databases.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"github.com/boxoffice/boxoffice"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: the OWASP minimum (19 MiB, 2 passes,
// 1 lane). The server has 2 cores; 64 MiB per sign-in would let a flood of
// sign-ins exhaust memory. Old hashes keep their own parameters (they are in
// the PHC string), so these can be raised later; see NeedsRehash.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// hashSlots bounds how many hashes run at once: more than the cores cannot
// run faster, and each one holds argonMemory KiB.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func idKey(password string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, time, memory, threads, keyLen)
}

// HashPassword returns an argon2id hash of password in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
// The caller checks the length rules (boxoffice.ValidatePassword); an empty
// password is refused with EINVALID. Other errors are internal.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", boxoffice.Invalidf("password", "password must not be empty")
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := idKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummySalt is used to spend the same time on an empty hash as on a real one.
var dummySalt = make([]byte, argonSaltLen)

// CheckPassword reports whether password matches encoded, a hash made by
// HashPassword (with whatever parameters encoded names). The comparison is
// in constant time. An empty encoded (an account without a password)
// returns false after the same work as a real check, so callers may also
// pass "" for an unknown user to keep timings alike. A malformed encoded
// returns a plain (EINTERNAL) error: stored hashes are ours.
func CheckPassword(encoded, password string) (bool, error) {
	if encoded == "" {
		idKey(password, dummySalt, argonTime, argonMemory, argonThreads, argonKeyLen)
		return false, nil
	}
	p, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	key := idKey(password, p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// NeedsRehash reports whether encoded was made with weaker parameters than
// HashPassword uses now (or cannot be parsed), so that it should be
// replaced after the next successful sign-in. False for "".
func NeedsRehash(encoded string) bool {
	if encoded == "" {
		return false
	}
	p, err := parsePHC(encoded)
	return err != nil || p.memory < argonMemory || p.time < argonTime || p.threads < argonThreads ||
		len(p.key) < argonKeyLen || len(p.salt) < argonSaltLen
}

// parsePHC parses $argon2id$v=19$m=M,t=T,p=P$salt$hash, strictly.
func parsePHC(encoded string) (*argonParams, error) {
	bad := func(what string) error { return fmt.Errorf("auth: malformed password hash: %s", what) }
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, bad("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return nil, bad("algorithm is not argon2id")
	}
	var version int
	if n, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || n != 1 || parts[2] != fmt.Sprintf("v=%d", version) {
		return nil, bad("version field")
	} else if version != argon2.Version {
		return nil, bad("unsupported version")
	}
	var p argonParams
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) {
		return nil, bad("parameter field")
	}
	// Bounds keep a corrupt hash from panicking argon2 or eating the memory.
	if p.time < 1 || p.time > 100 || threads < 1 || threads > 255 || p.memory < 8*threads || p.memory > 4*1024*1024 {
		return nil, bad("parameters out of range")
	}
	p.threads = uint8(threads)
	var err error
	if p.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return nil, bad("salt")
	}
	if p.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 128 {
		return nil, bad("hash")
	}
	return &p, nil
}
