//! JSON examples that may be cut off: the pages are often saved only up to a
//! point, so an example can stop mid-value. What is complete is kept.

use serde_json::{Map, Value};

/// The values of one example block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Examples {
    /// Every value in the block, in order (complete ones, then at most one cut one).
    pub values: Vec<Value>,
    /// The block stopped inside a value; the last of `values` holds what was complete.
    pub cut: bool,
}

/// A syntax error (not a cut): 1-based line inside the block and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line within the text.
    pub line: usize,
    /// serde_json's message.
    pub message: String,
}

/// Reads one or more JSON values from `text`. Text that ends inside a value
/// (a cut page) keeps the complete members and items of the containers it
/// opened; a cut string, number or literal is dropped.
pub fn read(text: &str) -> Result<Examples, SyntaxError> {
    let mut out = Examples::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => out.values.push(v),
            Some(Err(e)) if e.is_eof() => {
                out.cut = true;
                let rest = text.get(offset..).unwrap_or("");
                let mut p = Partial {
                    b: rest.as_bytes(),
                    s: rest,
                    i: 0,
                };
                match p.value() {
                    Ok(Got::Cut(Some(v))) | Ok(Got::Done(v)) => out.values.push(v),
                    Ok(Got::Cut(None)) => {}
                    Err(message) => {
                        return Err(SyntaxError {
                            line: e.line(),
                            message,
                        });
                    }
                }
                break;
            }
            Some(Err(e)) => {
                return Err(SyntaxError {
                    line: e.line(),
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

enum Got {
    Done(Value),
    /// The text ended inside; `Some` holds the complete part of a container.
    Cut(Option<Value>),
}

struct Partial<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

impl Partial<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn value(&mut self) -> Result<Got, String> {
        self.ws();
        match self.peek() {
            None => Ok(Got::Cut(None)),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(match self.string()? {
                Some(s) => Got::Done(Value::String(s)),
                None => Got::Cut(None),
            }),
            Some(_) => self.scalar(),
        }
    }

    fn object(&mut self) -> Result<Got, String> {
        self.i += 1;
        let mut m = Map::new();
        loop {
            self.ws();
            match self.peek() {
                None => return Ok(Got::Cut(Some(Value::Object(m)))),
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Got::Done(Value::Object(m)));
                }
                Some(b'"') => {}
                Some(c) => return Err(format!("expected a key, found {:?}", c as char)),
            }
            let Some(key) = self.string()? else {
                return Ok(Got::Cut(Some(Value::Object(m))));
            };
            self.ws();
            match self.peek() {
                None => return Ok(Got::Cut(Some(Value::Object(m)))),
                Some(b':') => self.i += 1,
                Some(c) => return Err(format!("expected `:`, found {:?}", c as char)),
            }
            match self.value()? {
                Got::Done(v) => {
                    m.insert(key, v);
                }
                Got::Cut(Some(v)) => {
                    m.insert(key, v);
                    return Ok(Got::Cut(Some(Value::Object(m))));
                }
                Got::Cut(None) => return Ok(Got::Cut(Some(Value::Object(m)))),
            }
            self.ws();
            match self.peek() {
                None => return Ok(Got::Cut(Some(Value::Object(m)))),
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Got::Done(Value::Object(m)));
                }
                Some(c) => return Err(format!("expected `,` or `}}`, found {:?}", c as char)),
            }
        }
    }

    fn array(&mut self) -> Result<Got, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                None => return Ok(Got::Cut(Some(Value::Array(items)))),
                Some(b']') => {
                    self.i += 1;
                    return Ok(Got::Done(Value::Array(items)));
                }
                _ => {}
            }
            match self.value()? {
                Got::Done(v) => items.push(v),
                Got::Cut(Some(v)) => {
                    items.push(v);
                    return Ok(Got::Cut(Some(Value::Array(items))));
                }
                Got::Cut(None) => return Ok(Got::Cut(Some(Value::Array(items)))),
            }
            self.ws();
            match self.peek() {
                None => return Ok(Got::Cut(Some(Value::Array(items)))),
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Got::Done(Value::Array(items)));
                }
                Some(c) => return Err(format!("expected `,` or `]`, found {:?}", c as char)),
            }
        }
    }

    /// A string starting at `"`; `None` when the text ends inside it.
    fn string(&mut self) -> Result<Option<String>, String> {
        let start = self.i;
        let mut j = self.i + 1;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.i = j + 1;
                    let raw = self.s.get(start..=j).ok_or("bad string")?;
                    return serde_json::from_str::<String>(raw)
                        .map(Some)
                        .map_err(|e| e.to_string());
                }
                _ => j += 1,
            }
        }
        self.i = self.b.len();
        Ok(None)
    }

    fn scalar(&mut self) -> Result<Got, String> {
        let start = self.i;
        while self.i < self.b.len()
            && (self.b[self.i].is_ascii_alphanumeric() || b"+-.".contains(&self.b[self.i]))
        {
            self.i += 1;
        }
        if self.i == start {
            return Err(format!("unexpected {:?}", self.b[start] as char));
        }
        if self.i >= self.b.len() {
            // Ends the text: it may be cut (`17333` of `1733380660`).
            return Ok(Got::Cut(None));
        }
        let tok = self.s.get(start..self.i).unwrap_or("");
        serde_json::from_str::<Value>(tok)
            .map(Got::Done)
            .map_err(|_| format!("{tok:?} is not a JSON value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn complete_values() {
        let e = read("{\"a\": 1} {\"b\": [true]}").unwrap();
        assert_eq!(e.values, [json!({"a": 1}), json!({"b": [true]})]);
        assert!(!e.cut);
    }

    #[test]
    fn cut_keeps_what_is_complete() {
        let e = read("{ \"extra\": { \"error_code\": 0, \"logid\": \"2024120514\" }, \"data\": { \"c\": { \"code\": \"E9\", \"n\": 1, \"u\": { \"t\": 1, \"tim").unwrap();
        assert!(e.cut);
        assert_eq!(
            e.values,
            [
                json!({"extra": {"error_code": 0, "logid": "2024120514"}, "data": {"c": {"code": "E9", "n": 1, "u": {"t": 1}}}})
            ]
        );
        let e = read("{\"a\": \"abc").unwrap();
        assert_eq!(e.values, [json!({})]);
        let e = read("{\"a\": [1, 2, 17").unwrap();
        assert_eq!(e.values, [json!({"a": [1, 2]})]);
    }

    #[test]
    fn syntax_errors_are_not_cuts() {
        assert!(read("{\"a\" 1}").is_err());
        assert!(read("{\"a\": }").is_err());
    }

    #[test]
    fn every_prefix_reads_without_panic() {
        let s = "{ \"data\": { \"list\": [ { \"x\": \"中文\\\"q\", \"y\": -1.5e3 } ], \"t\": true, \"n\": null } }";
        for (i, _) in s.char_indices() {
            let _ = read(&s[..i]);
        }
    }
}
