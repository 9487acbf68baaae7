package export

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// DataPackage describes one CSV export as a Frictionless Data Package
// (tabular-data-package, Table Schema v1): its file, dialect and every column
// with its type, so that frictionless, pandas and R read it typed. A
// multi-valued column is a string (Table Schema has no list of strings in
// CSV) whose description names the separator and the escape.
type DataPackage struct {
	Profile   string     `json:"profile"`
	Name      string     `json:"name"`
	Title     string     `json:"title,omitempty"`
	Resources []Resource `json:"resources"`
}

// Resource is the one data file of a DataPackage.
type Resource struct {
	Profile   string  `json:"profile"`
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Format    string  `json:"format"`
	MediaType string  `json:"mediatype"`
	Encoding  string  `json:"encoding"`
	Dialect   Dialect `json:"dialect"`
	Schema    Schema  `json:"schema"`
}

// Dialect is the CSV dialect of the exports (RFC 4180, "\n" line ends).
type Dialect struct {
	Delimiter        string `json:"delimiter"`
	LineTerminator   string `json:"lineTerminator"`
	QuoteChar        string `json:"quoteChar"`
	DoubleQuote      bool   `json:"doubleQuote"`
	Header           bool   `json:"header"`
	SkipInitialSpace bool   `json:"skipInitialSpace"`
}

// Schema is a Table Schema.
type Schema struct {
	Fields        []Field  `json:"fields"`
	MissingValues []string `json:"missingValues"`
	PrimaryKey    []string `json:"primaryKey,omitempty"`
}

// Field is one column of a Schema.
type Field struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format,omitempty"`
	Description string `json:"description,omitempty"`
}

// listNote is appended to the description of a multi-valued column.
const listNote = `multi-valued: values joined by " | ", a "|" in a value written "\|" and a "\" written "\\"`

var resourceName = regexp.MustCompile(`^[a-z0-9._-]+$`)

// NewDataPackage describes the CSV file at path (relative to the
// datapackage.json, "/" separated) holding cols, as a resource called name
// (lower-case letters, digits, ".", "_", "-"), with key as its primary key
// when not "".
func NewDataPackage(name, path string, cols []Column, key string) (DataPackage, error) {
	if !resourceName.MatchString(name) {
		return DataPackage{}, fmt.Errorf("datapackage: resource name %q is not lower-case letters, digits, '.', '_' or '-'", name)
	}
	if path == "" || strings.HasPrefix(path, "/") || strings.Contains(path, "\\") || strings.Contains("/"+path+"/", "/../") {
		return DataPackage{}, fmt.Errorf("datapackage: the data file's path %q must be relative, / separated, and stay below the package", path)
	}
	s := Schema{MissingValues: []string{""}}
	for _, c := range cols {
		f := Field{Name: c.Name, Type: c.typ(), Description: c.Description}
		switch c.typ() {
		case TypeDate, TypeInteger:
			f.Format = "default"
		case TypeDatetime:
			f.Format = "default" // YYYY-MM-DDThh:mm:ssZ, as exports write times
		case TypeString:
			if c.Name == "url" || strings.HasSuffix(c.Name, "_url") {
				f.Format = "uri"
			}
		}
		if c.List {
			f.Type, f.Format = TypeString, ""
			f.Description = strings.TrimSpace(f.Description + "; " + listNote)
		}
		s.Fields = append(s.Fields, f)
	}
	if key != "" {
		s.PrimaryKey = []string{key}
	}
	return DataPackage{
		Profile: "tabular-data-package",
		Name:    "harvest-" + name,
		Title:   "harvest export: " + name,
		Resources: []Resource{{
			Profile: "tabular-data-resource", Name: name, Path: path,
			Format: "csv", MediaType: "text/csv", Encoding: "utf-8",
			Dialect: Dialect{Delimiter: ",", LineTerminator: "\n", QuoteChar: `"`, DoubleQuote: true, Header: true},
			Schema:  s,
		}},
	}, nil
}

// WriteTo writes the package as indented JSON.
func (p DataPackage) WriteTo(w io.Writer) (int64, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("datapackage: %w", err)
	}
	n, err := w.Write(append(b, '\n'))
	return int64(n), err
}
