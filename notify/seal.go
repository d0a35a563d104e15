package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cloudflare/circl/hpke"

	"github.com/leakwatch/leakwatch/internal/boundedfile"
)

// Sealing evidence.
//
// Evidence (the matched span of a page and its context) is encrypted with
// HPKE (RFC 9180, base mode) to the operator's public key, so that what the
// store keeps is useless to anyone without the operator's private key, which
// never needs to be on the crawling host. The default KEM is X-Wing
// (X25519 + ML-KEM-768, a hybrid that stays safe if either part is broken);
// X25519 alone (DHKEM(X25519, HKDF-SHA256)) is available for keys generated
// with GenerateOperatorKeyKEM(KEMX25519). The KDF is HKDF-SHA256 and the
// AEAD AES-256-GCM.

// KEM names, as written on the "KEM" header line of key files.
const (
	// KEMXWing is the hybrid post-quantum X-Wing KEM. The default.
	KEMXWing = "X-Wing"
	// KEMX25519 is DHKEM(X25519, HKDF-SHA256), for interoperability with
	// HPKE implementations that lack X-Wing.
	KEMX25519 = "X25519-HKDF-SHA256"
)

// PEM block types of the operator key files.
const (
	publicKeyBlock  = "LEAKWATCH OPERATOR PUBLIC KEY"
	privateKeyBlock = "LEAKWATCH OPERATOR PRIVATE KEY"
)

// sealMagic starts every sealed blob; the version is its last byte.
var sealMagic = []byte("LWSEAL\x00\x01")

// sealInfo is HPKE's info parameter: it binds every key derivation to this
// use, so a ciphertext made for something else never opens as evidence.
var sealInfo = []byte("leakwatch evidence v1")

const (
	sealKDF  = hpke.KDF_HKDF_SHA256
	sealAEAD = hpke.AEAD_AES256GCM
)

// ErrOpen is wrapped by every failure to open sealed evidence: wrong key,
// wrong finding ID (AAD) or tampered bytes. The causes are deliberately not
// told apart.
var ErrOpen = errors.New("cannot open sealed evidence")

func kemByName(name string) (hpke.KEM, error) {
	switch name {
	case KEMXWing:
		return hpke.KEM_XWING, nil
	case KEMX25519:
		return hpke.KEM_X25519_HKDF_SHA256, nil
	}
	return 0, fmt.Errorf("unknown KEM %q (want %s or %s)", name, KEMXWing, KEMX25519)
}

func kemByID(id hpke.KEM) (string, error) {
	switch id {
	case hpke.KEM_XWING:
		return KEMXWing, nil
	case hpke.KEM_X25519_HKDF_SHA256:
		return KEMX25519, nil
	}
	return "", fmt.Errorf("unsupported KEM 0x%04x", uint16(id))
}

// GenerateOperatorKey makes a new X-Wing operator key pair and returns the
// public and private key files' contents: PEM-armored text whose "KEM"
// header names the KEM. Write them with WriteOperatorKey.
func GenerateOperatorKey() (pub, priv []byte, err error) {
	return GenerateOperatorKeyKEM(KEMXWing)
}

// GenerateOperatorKeyKEM is GenerateOperatorKey for a chosen KEM (KEMXWing
// or KEMX25519).
func GenerateOperatorKeyKEM(kemName string) (pub, priv []byte, err error) {
	id, err := kemByName(kemName)
	if err != nil {
		return nil, nil, fmt.Errorf("generate operator key: %w", err)
	}
	pk, sk, err := id.Scheme().GenerateKeyPair()
	if err != nil {
		return nil, nil, fmt.Errorf("generate operator key: %w", err)
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("generate operator key: marshal public key: %w", err)
	}
	skb, err := sk.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("generate operator key: marshal private key: %w", err)
	}
	headers := map[string]string{"KEM": kemName}
	pub = pem.EncodeToMemory(&pem.Block{Type: publicKeyBlock, Headers: headers, Bytes: pkb})
	priv = pem.EncodeToMemory(&pem.Block{Type: privateKeyBlock, Headers: headers, Bytes: skb})
	return pub, priv, nil
}

// WriteOperatorKey writes a key pair made by GenerateOperatorKey: the
// private key with mode 0600, the public key with mode 0644. It refuses to
// overwrite either file, and removes what it wrote if the second fails.
func WriteOperatorKey(pubPath, privPath string, pub, priv []byte) error {
	if _, err := parseKey(priv, privateKeyBlock); err != nil {
		return fmt.Errorf("write operator key: %w", err)
	}
	if _, err := parseKey(pub, publicKeyBlock); err != nil {
		return fmt.Errorf("write operator key: %w", err)
	}
	if err := writeNew(privPath, priv, 0o600); err != nil {
		return fmt.Errorf("write operator private key: %w", err)
	}
	if err := writeNew(pubPath, pub, 0o644); err != nil {
		_ = os.Remove(privPath)
		return fmt.Errorf("write operator public key: %w", err)
	}
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil { // umask may have narrowed or widened it
		f.Close()
		os.Remove(path)
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// LoadOperatorPublicKey reads and checks a public key file; the result is
// what Seal takes.
func LoadOperatorPublicKey(path string) ([]byte, error) {
	data, err := readBounded(path, "public key file", false, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("load operator public key: %w", err)
	}
	if _, err := parseKey(data, publicKeyBlock); err != nil {
		return nil, fmt.Errorf("load operator public key %s: %w", path, err)
	}
	return data, nil
}

// LoadOperatorIdentity reads a private key file; the result is what Open
// takes. The file is refused if group or others may access it.
func LoadOperatorIdentity(path string) ([]byte, error) {
	data, err := readBounded(path, "private key file", true, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("load operator identity: %w", err)
	}
	if _, err := parseKey(data, privateKeyBlock); err != nil {
		return nil, fmt.Errorf("load operator identity %s: %w", path, err)
	}
	return data, nil
}

// maxKeyFile bounds a key file: the PEM of the largest KEM's key takes a
// few KiB.
const maxKeyFile = 64 << 10

// maxCAFile bounds smtp.ca_file: a bundle of every public root takes
// about 220 KiB.
const maxCAFile = 4 << 20

// readBounded reads a file the operator names (a key, smtp.ca_file, a
// config), what naming it in errors, of at most limit bytes, through
// boundedfile: anything but a regular file is refused before it is
// opened, so that a path naming /dev/zero or a FIFO fails at once instead
// of reading forever or blocking in the open; a private key must also be
// closed to group and others.
func readBounded(path, what string, private bool, limit int64) ([]byte, error) {
	var check func(fs.FileInfo) error
	if private {
		check = func(fi fs.FileInfo) error { return privateMode(path, fi) }
	}
	return boundedfile.Read(path, what, limit, check)
}

type parsedKey struct {
	kem hpke.KEM
	raw []byte
}

func parseKey(data []byte, blockType string) (parsedKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return parsedKey{}, errors.New("no PEM block found")
	}
	if block.Type != blockType {
		return parsedKey{}, fmt.Errorf("PEM block is %q, want %q", block.Type, blockType)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return parsedKey{}, errors.New("trailing data after the key")
	}
	id, err := kemByName(block.Headers["KEM"])
	if err != nil {
		return parsedKey{}, err
	}
	s := id.Scheme()
	switch blockType {
	case publicKeyBlock:
		if _, err := s.UnmarshalBinaryPublicKey(block.Bytes); err != nil {
			return parsedKey{}, fmt.Errorf("bad %s public key: %w", block.Headers["KEM"], err)
		}
	case privateKeyBlock:
		if _, err := s.UnmarshalBinaryPrivateKey(block.Bytes); err != nil {
			return parsedKey{}, fmt.Errorf("bad %s private key: %w", block.Headers["KEM"], err)
		}
	}
	return parsedKey{kem: id, raw: block.Bytes}, nil
}

// Seal encrypts evidence to the operator public key pub (the contents of
// a public key file). aad is authenticated but not encrypted: pass the
// finding ID, and the result opens only under the same aad. The output is
// a small header (magic, KEM, KDF and AEAD identifiers, encapsulated key)
// followed by the AEAD ciphertext; it never contains the plaintext.
func Seal(pub, evidence, aad []byte) ([]byte, error) {
	k, err := parseKey(pub, publicKeyBlock)
	if err != nil {
		return nil, fmt.Errorf("seal evidence: %w", err)
	}
	pk, err := k.kem.Scheme().UnmarshalBinaryPublicKey(k.raw)
	if err != nil {
		return nil, fmt.Errorf("seal evidence: %w", err)
	}
	suite := hpke.NewSuite(k.kem, sealKDF, sealAEAD)
	sender, err := suite.NewSender(pk, sealInfo)
	if err != nil {
		return nil, fmt.Errorf("seal evidence: %w", err)
	}
	enc, sealer, err := sender.Setup(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal evidence: %w", err)
	}
	header := sealHeader(k.kem, enc)
	ct, err := sealer.Seal(evidence, sealAAD(header, aad))
	if err != nil {
		return nil, fmt.Errorf("seal evidence: %w", err)
	}
	return append(header, ct...), nil
}

// Open decrypts what Seal made, with the operator identity priv (the
// contents of a private key file) and the same aad. Every failure wraps
// ErrOpen.
func Open(priv, sealed, aad []byte) ([]byte, error) {
	k, err := parseKey(priv, privateKeyBlock)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	kemID, enc, ct, header, err := splitSealed(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	if kemID != k.kem {
		want, _ := kemByID(k.kem)
		got, err := kemByID(kemID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOpen, err)
		}
		return nil, fmt.Errorf("%w: sealed with %s, key is %s", ErrOpen, got, want)
	}
	sk, err := k.kem.Scheme().UnmarshalBinaryPrivateKey(k.raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	suite := hpke.NewSuite(k.kem, sealKDF, sealAEAD)
	receiver, err := suite.NewReceiver(sk, sealInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	opener, err := receiver.Setup(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	pt, err := opener.Open(ct, sealAAD(header, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return pt, nil
}

// sealHeader is magic | KEM id | KDF id | AEAD id | len(enc) | enc, all
// integers big-endian uint16.
func sealHeader(kemID hpke.KEM, enc []byte) []byte {
	h := make([]byte, 0, len(sealMagic)+8+len(enc))
	h = append(h, sealMagic...)
	h = binary.BigEndian.AppendUint16(h, uint16(kemID))
	h = binary.BigEndian.AppendUint16(h, uint16(sealKDF))
	h = binary.BigEndian.AppendUint16(h, uint16(sealAEAD))
	h = binary.BigEndian.AppendUint16(h, uint16(len(enc)))
	return append(h, enc...)
}

func splitSealed(b []byte) (kemID hpke.KEM, enc, ct, header []byte, err error) {
	if !bytes.HasPrefix(b, sealMagic) {
		return 0, nil, nil, nil, errors.New("not sealed evidence")
	}
	p := b[len(sealMagic):]
	if len(p) < 8 {
		return 0, nil, nil, nil, errors.New("sealed evidence is truncated")
	}
	kemID = hpke.KEM(binary.BigEndian.Uint16(p[0:]))
	kdf := hpke.KDF(binary.BigEndian.Uint16(p[2:]))
	aead := hpke.AEAD(binary.BigEndian.Uint16(p[4:]))
	n := int(binary.BigEndian.Uint16(p[6:]))
	if kdf != sealKDF || aead != sealAEAD {
		return 0, nil, nil, nil, fmt.Errorf("unsupported suite kdf 0x%04x aead 0x%04x", uint16(kdf), uint16(aead))
	}
	if len(p) < 8+n {
		return 0, nil, nil, nil, errors.New("sealed evidence is truncated")
	}
	hl := len(sealMagic) + 8 + n
	return kemID, b[hl-n : hl], b[hl:], b[:hl], nil
}

// sealAAD authenticates the header along with the caller's aad, so that no
// byte of a sealed blob can change without Open failing.
func sealAAD(header, aad []byte) []byte {
	out := make([]byte, 0, len(header)+len(aad)+4)
	out = binary.BigEndian.AppendUint32(out, uint32(len(header)))
	out = append(out, header...)
	return append(out, aad...)
}
