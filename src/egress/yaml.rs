//! YAML with line numbers: saphyr's marked tree turned into a small owned tree (strings,
//! lists, ordered maps) that the CI models walk. Scalars of every type become strings.
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// 1-based line where the node starts; for a block scalar (`|`, `>`), its first content line.
    pub line: u64,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    /// The key's line.
    pub line: u64,
    pub value: Node,
}

/// Deepest nesting of lists and maps read. saphyr's loader (and `convert`) recurse once per
/// level: 850 levels of `- - - …`, 1.7 KB of text, overflowed a 2 MiB thread stack in a
/// debug build (found by fuzzing). Real CI files nest fewer than 20 levels.
const MAX_DEPTH: usize = 128;

/// The first document of `text` (an empty document is `Null`).
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    check_depth(text)?;
    let docs = MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    let lines: Vec<&str> = text.lines().collect();
    Ok(docs.first().map_or(Node { line: 1, value: Value::Null }, |d| convert(d, &lines)))
}

/// An error if `text` nests deeper than [`MAX_DEPTH`], found from saphyr's event stream,
/// which does not recurse, before its loader does.
fn check_depth(text: &str) -> Result<(), String> {
    use saphyr_parser::{Event, Parser};
    let mut depth = 0usize;
    for event in Parser::new_from_str(text) {
        match event.map_err(|e| e.to_string())?.0 {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("lists and maps nested deeper than {MAX_DEPTH} levels"));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn convert(node: &MarkedYaml, lines: &[&str]) -> Node {
    let start = node.span.start;
    let mut line = start.line() as u64;
    let value = match &node.data {
        YamlData::Value(s) => {
            // A block scalar's span starts at its `|` or `>` indicator; its text on the next line.
            let rest: String = lines
                .get(start.line().wrapping_sub(1))
                .map_or(String::new(), |l| l.chars().skip(start.col()).collect::<String>());
            if rest.starts_with('|') || rest.starts_with('>') {
                line += 1;
            }
            scalar(s)
        }
        YamlData::Representation(s, _, _) => Value::Str(s.to_string()),
        YamlData::Sequence(items) => Value::Seq(items.iter().map(|i| convert(i, lines)).collect()),
        YamlData::Mapping(map) => {
            let entries: Vec<Entry> = map
                .iter()
                .map(|(k, v)| {
                    let key = convert(k, lines);
                    let name = match key.value {
                        Value::Str(s) => s,
                        _ => String::new(),
                    };
                    Entry { key: name, line: key.line, value: convert(v, lines) }
                })
                .collect();
            Value::Map(merge_keys(entries))
        }
        YamlData::Tagged(_, inner) => return convert(inner, lines),
        _ => Value::Null,
    };
    Node { line, value }
}

/// YAML merge keys (`<<: *base`, `<<: [*a, *b]`), which GitHub accepts: the merged maps'
/// entries join the map, keys written in the map itself winning.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| e.key == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(|e| e.key == "<<");
    for m in merges {
        let maps = match m.value.value {
            Value::Map(es) => vec![es],
            Value::Seq(items) => items
                .into_iter()
                .filter_map(|i| match i.value {
                    Value::Map(es) => Some(es),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        for e in maps.into_iter().flatten() {
            if !own.iter().any(|o| o.key == e.key) {
                own.push(e);
            }
        }
    }
    own
}

fn scalar(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Str(b.to_string()),
        Scalar::Integer(i) => Value::Str(i.to_string()),
        Scalar::FloatingPoint(f) => Value::Str(f.to_string()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

static EMPTY_ENTRIES: &[Entry] = &[];
static EMPTY_NODES: &[Node] = &[];

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries().iter().find(|e| e.key == key).map(|e| &e.value)
    }

    /// The entry (with its key line) for `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(m) => m,
            _ => EMPTY_ENTRIES,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => EMPTY_NODES,
        }
    }

    /// A string, or each string of a list, with its line.
    pub fn strings(&self) -> Vec<(&str, u64)> {
        match &self.value {
            Value::Str(s) => vec![(s.as_str(), self.line)],
            Value::Seq(items) => items.iter().filter_map(|i| i.str().map(|s| (s, i.line))).collect(),
            _ => vec![],
        }
    }

    /// `key: value` pairs of a map, or `KEY=value` items of a list, with their lines.
    pub fn pairs(&self) -> Vec<(String, String, u64)> {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .map(|e| (e.key.clone(), e.value.str().unwrap_or_default().to_string(), e.line))
                .collect(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| {
                    let s = i.str()?;
                    let (k, v) = s.split_once('=').unwrap_or((s, ""));
                    Some((k.trim().to_string(), v.to_string(), i.line))
                })
                .collect(),
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: a list nested 200,000 levels (`- - - …`) overflowed the stack in
    /// saphyr's loader; now it is refused, while nesting up to the limit still parses.
    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        for (open, close) in [("- ", ""), ("[", "]"), ("{a: ", "}")] {
            let deep = format!("{}x{}", open.repeat(200_000), close.repeat(200_000));
            assert!(parse(&deep).is_err(), "{open:?}");
        }
        let ok = format!("{}x{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn lines_of_keys_values_and_block_scalars() {
        let doc = parse("a: 1\nb:\n  - x\n  - run: |\n      echo hi\n      echo two\n").expect("parses");
        assert_eq!(doc.entry("a").map(|e| e.line), Some(1));
        let b = doc.get("b").expect("b");
        assert_eq!(b.items()[0].line, 3);
        let run = b.items()[1].get("run").expect("run");
        assert_eq!(run.line, 5);
        assert_eq!(run.str(), Some("echo hi\necho two\n"));
    }

    #[test]
    fn scalars_become_strings_and_lists_become_pairs() {
        let doc = parse("t: true\nn: 3\nl: [A=1, B]\n").expect("parses");
        assert_eq!(doc.get("t").and_then(Node::str), Some("true"));
        assert_eq!(doc.get("n").and_then(Node::str), Some("3"));
        let pairs = doc.get("l").expect("l").pairs();
        assert_eq!(pairs, vec![("A".into(), "1".into(), 3), ("B".into(), String::new(), 3)]);
    }

    #[test]
    fn anchors_aliases_and_merge_keys_resolve() {
        let doc = parse("base: &b\n  K: v\nplain: *b\nmerged:\n  <<: *b\n  X: y\n").expect("parses");
        assert_eq!(doc.get("plain").and_then(|p| p.get("K")).and_then(Node::str), Some("v"));
        let merged = doc.get("merged").expect("merged");
        assert_eq!(merged.get("K").and_then(Node::str), Some("v"));
        assert_eq!(merged.get("X").and_then(Node::str), Some("y"));
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(parse("a: [1, 2\nb: }").is_err());
    }
}
