package hyperparameter_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	hp "github.com/reiase/hyperparameter/bindings/go"
)

// The vectors every language of the project checks its hash against, computed independently
// with the xxhash package.
type hashVectors struct {
	Algorithm string `json:"algorithm"`
	Seed      int    `json:"seed"`
	Vectors   []struct {
		Key     string `json:"key"`
		UTF8Len int    `json:"utf8_len"`
		Hash    uint64 `json:"xxh64_seed42"`
	} `json:"vectors"`
}

func TestHashMatchesSharedVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", "hash.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file hashVectors
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.Algorithm != "XXH64" || file.Seed != 42 {
		t.Fatalf("vector file is for %s seed %d, want XXH64 seed 42", file.Algorithm, file.Seed)
	}
	if len(file.Vectors) < 20 {
		t.Fatalf("only %d vectors in the file", len(file.Vectors))
	}
	for _, v := range file.Vectors {
		if len(v.Key) != v.UTF8Len {
			t.Errorf("key %q: %d UTF-8 bytes, the file says %d", v.Key, len(v.Key), v.UTF8Len)
		}
		if got := hp.Hash(v.Key); got != v.Hash {
			t.Errorf("Hash(%q) = %d, want %d", v.Key, got, v.Hash)
		}
	}
}

func TestHashOfDocumentedKey(t *testing.T) {
	// The value docs/c-api.md gives for the C++ static_assert.
	if got := hp.Hash("train.lr"); got != 1730067025249070946 {
		t.Fatalf("Hash(train.lr) = %d", got)
	}
	// Any bytes hash, also those that are no valid key.
	if hp.Hash("bad\xff") == hp.Hash("bad") {
		t.Fatal("an invalid byte does not change the hash")
	}
}

func TestABIVersion(t *testing.T) {
	if v := hp.ABIVersion(); v < 2 {
		t.Fatalf("ABIVersion() = %d", v)
	}
}
