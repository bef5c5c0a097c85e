package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestHashAndCheck(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: unexpected prefix", h)
	}
	if ok, err := CheckPassword(h, pw); err != nil || !ok {
		t.Fatalf("right password: ok=%v err=%v", ok, err)
	}
	if ok, err := CheckPassword(h, pw+"!"); err != nil || ok {
		t.Fatalf("wrong password: ok=%v err=%v", ok, err)
	}
	if NeedsRehash(h) {
		t.Fatal("a fresh hash needs no rehash")
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Fatal("two hashes of the same password are equal: salt not random")
	}
}

func TestHashPasswordEmpty(t *testing.T) {
	if _, err := HashPassword(""); err == nil {
		t.Fatal("empty password hashed")
	}
}

func TestCheckPasswordEmptyHash(t *testing.T) {
	if ok, err := CheckPassword("", "anything at all"); err != nil || ok {
		t.Fatalf("empty hash: ok=%v err=%v", ok, err)
	}
	if ok, err := CheckPassword("", ""); err != nil || ok {
		t.Fatalf("empty hash, empty password: ok=%v err=%v", ok, err)
	}
	if NeedsRehash("") {
		t.Fatal("NeedsRehash(\"\") = true")
	}
}

// phc builds a PHC string with the given parameters, as another version of
// HashPassword might have.
func phc(pw string, m, tm uint32, p uint8, salt []byte, keyLen uint32) string {
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, keyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestCheckPasswordUsesParametersOfHash(t *testing.T) {
	const pw = "an older password"
	salt := []byte("0123456789abcdef")
	for _, tc := range []struct {
		name       string
		encoded    string
		needRehash bool
	}{
		{"weaker", phc(pw, 64, 1, 1, salt, 32), true},
		{"short key", phc(pw, argonMemory, argonTime, argonThreads, salt, 16), true},
		{"stronger", phc(pw, 32*1024, 3, 2, salt, 32), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok, err := CheckPassword(tc.encoded, pw); err != nil || !ok {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			if ok, _ := CheckPassword(tc.encoded, "not it"); ok {
				t.Fatal("wrong password accepted")
			}
			if got := NeedsRehash(tc.encoded); got != tc.needRehash {
				t.Fatalf("NeedsRehash = %v, want %v", got, tc.needRehash)
			}
		})
	}
	p, err := parsePHC(phc(pw, 64, 3, 4, salt, 24))
	if err != nil {
		t.Fatal(err)
	}
	if p.memory != 64 || p.time != 3 || p.threads != 4 || len(p.key) != 24 || string(p.salt) != string(salt) {
		t.Fatalf("parsed %+v", p)
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good, err := HashPassword("a fine password")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, hash
	join := func(parts ...string) string { return strings.Join(parts, "$") }
	for name, enc := range map[string]string{
		"garbage":        "not a hash",
		"bcrypt":         "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":        join("", "argon2i", f[2], f[3], f[4], f[5]),
		"no leading $":   strings.TrimPrefix(good, "$"),
		"extra field":    good + "$x",
		"missing hash":   join("", f[1], f[2], f[3], f[4]),
		"version 16":     join("", f[1], "v=16", f[3], f[4], f[5]),
		"bad version":    join("", f[1], "v=x", f[3], f[4], f[5]),
		"params order":   join("", f[1], f[2], "t=2,m=19456,p=1", f[4], f[5]),
		"params suffix":  join("", f[1], f[2], f[3]+",k=1", f[4], f[5]),
		"zero time":      join("", f[1], f[2], "m=19456,t=0,p=1", f[4], f[5]),
		"zero threads":   join("", f[1], f[2], "m=19456,t=2,p=0", f[4], f[5]),
		"huge memory":    join("", f[1], f[2], "m=99999999,t=2,p=1", f[4], f[5]),
		"negative":       join("", f[1], f[2], "m=-1,t=2,p=1", f[4], f[5]),
		"padded salt":    join("", f[1], f[2], f[3], f[4]+"==", f[5]),
		"salt not b64":   join("", f[1], f[2], f[3], "!!!!", f[5]),
		"empty hash":     join("", f[1], f[2], f[3], f[4], ""),
		"hash not b64":   join("", f[1], f[2], f[3], f[4], "*"+f[5][1:]),
		"short salt":     join("", f[1], f[2], f[3], "YWJj", f[5]),
		"hash truncated": join("", f[1], f[2], f[3], f[4], f[5][:10]),
	} {
		t.Run(name, func(t *testing.T) {
			if ok, err := CheckPassword(enc, "a fine password"); err == nil || ok {
				t.Fatalf("CheckPassword(%q): ok=%v err=%v, want an error", enc, ok, err)
			}
			if !NeedsRehash(enc) {
				t.Fatal("NeedsRehash of a malformed hash = false")
			}
		})
	}
}
