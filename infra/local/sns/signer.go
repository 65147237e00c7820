package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// signer signs notifications as SNS does: SHA1withRSA (SignatureVersion 1)
// or SHA256withRSA (2) over the canonical string of the message's fields.
// Its key is made on first use and kept in sns_meta, so signatures made
// before a restart still verify with the certificate served after it.
type signer struct {
	key      *rsa.PrivateKey
	certPEM  []byte
	certPath string // path of SigningCertURL, "/SimpleNotificationService-<hash>.pem"
}

const (
	metaKey  = "signing-key"
	metaCert = "signing-cert"
)

func loadSigner(ctx context.Context, db *sql.DB, w *sqlitedb.Writer, region string, now time.Time) (*signer, error) {
	keyDER, certDER, err := readSigner(ctx, db)
	if errors.Is(err, sql.ErrNoRows) {
		k, c, gerr := newSigningKey(region, now)
		if gerr != nil {
			return nil, gerr
		}
		// OR IGNORE: a second service on the same file may have won the race.
		err = w.Write(ctx, "sns signing key", func(tx *sql.Tx) error {
			for _, kv := range [][2]any{{metaKey, k}, {metaCert, c}} {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO sns_meta (key, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sns: store signing key: %w", err)
		}
		keyDER, certDER, err = readSigner(ctx, db)
	}
	if err != nil {
		return nil, fmt.Errorf("sns: read signing key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("sns: parse signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("sns: signing key is %T, not RSA", k)
	}
	sum := sha256.Sum256(certDER)
	return &signer{key: rk, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}),
		certPath: "/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"}, nil
}

func readSigner(ctx context.Context, db *sql.DB) (key, cert []byte, err error) {
	if err := db.QueryRowContext(ctx, `SELECT value FROM sns_meta WHERE key = ?`, metaKey).Scan(&key); err != nil {
		return nil, nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT value FROM sns_meta WHERE key = ?`, metaCert).Scan(&cert); err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// newSigningKey makes an RSA key and a self-signed certificate for it,
// named like SNS's signing host.
func newSigningKey(region string, now time.Time) (keyDER, certDER []byte, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("sns: make signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("sns: make signing key: %w", err)
	}
	host := "sns." + region + ".amazonaws.com"
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"loanflow local stack"}},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, nil, fmt.Errorf("sns: make signing certificate: %w", err)
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("sns: encode signing key: %w", err)
	}
	return keyDER, certDER, nil
}

// sign returns the base64 signature of the canonical string of fields
// (name, value pairs in the order SNS signs them; pairs with an empty
// value are left out, as Subject is when there is none).
func (s *signer) sign(version string, fields [][2]string) (string, error) {
	var b strings.Builder
	for _, f := range fields {
		if f[1] == "" && f[0] == "Subject" {
			continue
		}
		b.WriteString(f[0])
		b.WriteByte('\n')
		b.WriteString(f[1])
		b.WriteByte('\n')
	}
	var digest []byte
	var hash crypto.Hash
	if version == "2" {
		sum := sha256.Sum256([]byte(b.String()))
		digest, hash = sum[:], crypto.SHA256
	} else {
		sum := sha1.Sum([]byte(b.String()))
		digest, hash = sum[:], crypto.SHA1
	}
	sig, err := rsa.SignPKCS1v15(nil, s.key, hash, digest)
	if err != nil {
		return "", fmt.Errorf("sns: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// serveCert answers GET SigningCertURL with the certificate.
func (s *signer) serveCert(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.certPath {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	_, _ = w.Write(s.certPEM)
}
