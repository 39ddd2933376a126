// Package demo holds the demo catalogue of the portal as embedded data:
// invented Jiangsu organisations, about a hundred datasets across every
// domain, modality and tier, and the demo accounts that `portal demo`
// creates. Nothing in it describes real people.
package demo

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"dataportal/catalog"
)

//go:embed data/*.json
var files embed.FS

// Entry is one demo dataset: the dataset as a provider registers it, plus
// the lifecycle state the demo loader should bring it to.
type Entry struct {
	catalog.Dataset
	// Published says whether the loader publishes the dataset; if false it
	// stays a draft.
	Published bool `json:"published"`
	// Withdrawn says whether the loader withdraws the dataset after
	// publishing it.
	Withdrawn bool `json:"withdrawn"`
}

// Account is a demo user account. Org is the id of an organisation from
// Orgs.
type Account struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
	Org      string   `json:"org"`
}

// Orgs returns the demo organisations: one bureau, one operator, the data
// providers and the model developers (one of them not yet verified).
func Orgs() ([]catalog.Organization, error) {
	var out []catalog.Organization
	if err := decodeFile("data/orgs.json", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// List is a demo construction list: the list as the bureau creates it,
// and the items whose deliveries the loader accepts. The responses come
// from the demo datasets' list_items: each organisation answers an item
// with its datasets that name it.
type List struct {
	catalog.NewList
	Accepted []string `json:"accepted"`
}

// Lists returns the demo construction lists.
func Lists() ([]List, error) {
	var out []List
	if err := decodeFile("data/lists.json", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Accounts returns the demo user accounts with their plain-text passwords.
func Accounts() ([]Account, error) {
	var out []Account
	if err := decodeFile("data/accounts.json", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Datasets returns the demo datasets from every data/datasets-*.json file,
// in file-name order and in order within each file.
func Datasets() ([]Entry, error) {
	names, err := fs.Glob(files, "data/datasets-*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Entry
	for _, name := range names {
		var part []Entry
		if err := decodeFile(name, &part); err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// decodeFile strictly decodes one embedded JSON file into v: unknown fields
// and trailing data are errors.
func decodeFile(name string, v any) error {
	data, err := files.ReadFile(name)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("demo: %s: %w", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("demo: %s: unexpected data after the JSON value", name)
	}
	return nil
}
