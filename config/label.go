package config

import (
	"strconv"
	"strings"
)

// Label names a backend's configuration in logs and in the linter's
// findings: its "label" when set, or else one made from what it holds —
// the name of its first rule and how many follow ("orders +2"), and its
// rules_file. A gateway hands each plugin instance only its own
// configuration, not the endpoint or the backend's URL, so this is what
// can tell two backends apart. Decode returns a Config even for an invalid
// configuration, so that one is named too.
func (c *Config) Label() string {
	if c == nil {
		return "no rules"
	}
	if strings.TrimSpace(c.LabelText) != "" {
		return c.LabelText
	}
	var parts []string
	if len(c.Rules) > 0 {
		name := c.Rules[0].Name
		if name == "" {
			name = "rule[0]"
		}
		if more := len(c.Rules) - 1; more > 0 {
			name += " +" + strconv.Itoa(more)
		}
		parts = append(parts, name)
	}
	if c.RulesFile != "" {
		parts = append(parts, c.RulesFile)
	}
	if len(parts) == 0 {
		return "no rules"
	}
	return strings.Join(parts, " and ")
}
