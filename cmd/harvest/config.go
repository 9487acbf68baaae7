package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix begins the environment variable of a flag: --max-pages is
// HARVEST_MAX_PAGES.
const envPrefix = "HARVEST_"

// envName is the environment variable of the flag name.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// notConfigured are the flags that neither the environment nor the file set.
var notConfigured = map[string]bool{"help": true, "config": true, "version": true}

// skipConfig are the commands that read no configuration: help, shell
// completion, version and man pages work whatever the file holds.
func skipConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd, "version", "man":
			return true
		}
	}
	return false
}

// applyConfig gives each flag of cmd that the command line left unset its
// value from the environment (HARVEST_FLAG_NAME), else from the --config
// file (HARVEST_CONFIG): flags beat the environment, which beats the file.
//
// The file is TOML. Keys are flag names: at the top they apply to every
// command that has the flag, in a table named for a command ([crawl],
// [export]) to that command only, and beat the top. A key that is no flag
// (of any command at the top, of the table's command in a table) is an
// error that names it, as is a value the flag refuses.
func (m *Main) applyConfig(cmd *cobra.Command) error {
	if skipConfig(cmd) {
		return nil
	}
	path := m.configFile
	if !cmd.Flags().Changed("config") {
		if env := os.Getenv(envName("config")); env != "" {
			path = env
		}
	}
	var file map[string]any
	if path != "" {
		if _, err := toml.DecodeFile(path, &file); err != nil {
			var perr toml.ParseError
			if errors.As(err, &perr) {
				return fmt.Errorf("%w: config %s: line %d: %s", errUsage, path, perr.Position.Line, perr.Message)
			}
			return fmt.Errorf("config: %w", err)
		}
		if err := checkKeys(cmd.Root(), path, file); err != nil {
			return err
		}
	}
	table, _ := file[cmd.Name()].(map[string]any)
	var errs []error
	set := func(f *pflag.Flag) {
		if notConfigured[f.Name] || f.Changed {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := setFlag(f, []string{v}); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s=%q: %v", errUsage, envName(f.Name), v, err))
			}
			return
		}
		key, v, ok := cmd.Name()+"."+f.Name, table[f.Name], table != nil
		if _, in := table[f.Name]; !ok || !in {
			key, v = f.Name, file[f.Name]
		}
		if v == nil {
			return
		}
		vals, err := tomlStrings(v)
		if err == nil {
			err = setFlag(f, vals)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: config %s: %s: %v", errUsage, path, key, err))
		}
	}
	cmd.Flags().VisitAll(set) // the parents' persistent flags are merged in by now
	return errors.Join(errs...)
}

// setFlag sets f to vals: one value, or several for a flag that repeats.
func setFlag(f *pflag.Flag, vals []string) error {
	if _, repeats := f.Value.(pflag.SliceValue); !repeats && len(vals) != 1 {
		return fmt.Errorf("takes one value, not a list")
	}
	for _, v := range vals {
		if err := f.Value.Set(v); err != nil {
			return fmt.Errorf("invalid value %q: %v", v, err)
		}
	}
	return nil
}

// tomlStrings turns a TOML value into the text a flag parses: a string, a
// number, a boolean, or an array of them (a flag that repeats).
func tomlStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case int64, float64, bool:
		return []string{fmt.Sprint(v)}, nil
	case []any:
		var out []string
		for _, e := range v {
			s, err := tomlStrings(e)
			if err != nil || len(s) != 1 {
				return nil, fmt.Errorf("a list may hold only strings, numbers and booleans")
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %T is no flag value (a duration is a string: \"2s\")", v)
}

// checkKeys rejects the keys of file that name no flag: at the top, of any
// command; in a table, of the command it is named for.
func checkKeys(root *cobra.Command, path string, file map[string]any) error {
	flagsOf := map[string]map[string]bool{} // command name -> its flags
	allFlags := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !skipConfig(c) {
			names := map[string]bool{}
			add := func(f *pflag.Flag) {
				if !notConfigured[f.Name] {
					names[f.Name], allFlags[f.Name] = true, true
				}
			}
			c.Flags().VisitAll(add)
			c.InheritedFlags().VisitAll(add)
			if c.HasParent() {
				flagsOf[c.Name()] = names
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var unknown []string
	for k, v := range file {
		if t, ok := v.(map[string]any); ok {
			names, isCmd := flagsOf[k]
			if !isCmd {
				unknown = append(unknown, fmt.Sprintf("[%s] (no such command)", k))
				continue
			}
			for tk := range t {
				if !names[tk] {
					unknown = append(unknown, k+"."+tk)
				}
			}
			continue
		}
		if !allFlags[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w: config %s: unknown key %s", errUsage, path, strings.Join(unknown, ", "))
	}
	return nil
}
