//! Cuts a JSON array's elements out of a byte stream one at a time, never
//! holding more than one element: `[{...},{...}]`, or the same array as a
//! member of a wrapper object, `{"users":[{...}]}` (Firebase's
//! `auth:export`), whose other members are skipped. It only finds where
//! each element begins and ends (string, escape and nesting state); serde
//! then parses the element, so a broken element is that element's problem
//! as long as its brackets balance. What breaks the framing itself (the
//! input ending inside the array, something after it, a second array in
//! the wrapper) is a [`FrameError`], which ends the input.

use std::io::BufRead;

/// One step of the framer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// An element, starting on `line`; its bytes are [`Framer::element`].
    Element { line: u64 },
    /// An element longer than the cap, skipped as it was read.
    Oversized { line: u64 },
    /// The array is over, and the input with it.
    End,
}

/// Why the input cannot be framed any further.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FrameError(pub(crate) String);

/// Where the framer is in the input's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// After the wrapper's `{`: a member or `}` next.
    WrapperOpen,
    /// After a wrapper member: `,` or `}` next.
    WrapperNext {
        array_seen: bool,
    },
    /// After the array's `[`: an element or `]` next.
    ArrayOpen {
        wrapped: bool,
    },
    /// After an element: `,` or `]` next.
    ArrayNext {
        wrapped: bool,
    },
    /// After the top-level value: only whitespace may follow.
    Trailing,
    Done,
}

/// How far a value was read.
enum Scanned {
    /// Whole, in `element` (when held).
    Whole,
    /// Whole, but longer than the cap: not held.
    Oversized,
    /// The input ended inside it.
    Cut,
}

/// The elements of the JSON array in `reader`.
pub(crate) struct Framer<R: BufRead> {
    reader: R,
    /// The line the reader is on, 1-based.
    line: u64,
    state: State,
    /// The most bytes an element is held to.
    max_bytes: usize,
    element: Vec<u8>,
    /// Elements framed so far.
    count: u64,
    /// Bytes read so far.
    offset: u64,
    /// Where the last element starts, in bytes.
    element_start: u64,
}

/// JSON's whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// How a byte is named in messages.
fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte {b:#04x}")
    }
}

impl<R: BufRead> Framer<R> {
    pub(crate) fn new(reader: R, max_bytes: usize) -> Self {
        Framer {
            reader,
            line: 1,
            state: State::Start,
            max_bytes: max_bytes.max(1),
            element: Vec::new(),
            count: 0,
            offset: 0,
            element_start: 0,
        }
    }

    /// The bytes of the element last framed.
    pub(crate) fn element(&self) -> &[u8] {
        &self.element
    }

    /// The byte offset (in the text read) where the element last framed starts.
    pub(crate) fn element_start(&self) -> u64 {
        self.element_start
    }

    /// The next element, or the end. After an error, the end.
    pub(crate) fn next_frame(&mut self) -> Result<Frame, FrameError> {
        let frame = self.step();
        if frame.is_err() {
            self.state = State::Done;
        }
        frame
    }

    fn step(&mut self) -> Result<Frame, FrameError> {
        loop {
            match self.state {
                State::Start => self.start()?,
                State::WrapperOpen | State::WrapperNext { .. } => self.wrapper()?,
                State::ArrayOpen { wrapped } | State::ArrayNext { wrapped } => {
                    if let Some(frame) = self.array(wrapped)? {
                        return Ok(frame);
                    }
                }
                State::Trailing => match self.peek()? {
                    None => self.state = State::Done,
                    Some(b) => {
                        return Err(FrameError(format!(
                            "the input goes on after its JSON array: {} on line {}",
                            shown(b),
                            self.line
                        )))
                    }
                },
                State::Done => return Ok(Frame::End),
            }
        }
    }

    /// The top-level value's first byte: `[`, or the wrapper's `{`.
    fn start(&mut self) -> Result<(), FrameError> {
        // A UTF-8 byte-order mark some exporters write, byte by byte: the
        // buffer may hold less than all three.
        for mark in [0xEF, 0xBB, 0xBF] {
            let line = self.line;
            let head = self.reader.fill_buf().map_err(|e| io_error(line, e))?;
            if head.first() != Some(&mark) {
                break;
            }
            self.consume(1);
        }
        self.state = match self.peek()? {
            Some(b'[') => State::ArrayOpen { wrapped: false },
            Some(b'{') => State::WrapperOpen,
            found => {
                let found = found.map_or("nothing".to_owned(), shown);
                return Err(FrameError(format!(
                    "the input is not a JSON array of records (nor an object holding one, as {{\"users\": [...]}}): it starts with {found} on line {}",
                    self.line
                )));
            }
        };
        self.consume(1);
        Ok(())
    }

    /// One step inside the wrapper object: a member, or its end.
    fn wrapper(&mut self) -> Result<(), FrameError> {
        let array_seen = match self.state {
            State::WrapperNext { array_seen } => array_seen,
            _ => false,
        };
        let first = self.state == State::WrapperOpen;
        match self.peek()? {
            Some(b'}') => {
                self.consume(1);
                if !array_seen {
                    return Err(FrameError(format!(
                        "the JSON object that ends on line {} holds no array of records (as {{\"users\": [...]}})",
                        self.line
                    )));
                }
                self.state = State::Trailing;
                Ok(())
            }
            Some(b',') if !first => {
                self.consume(1);
                self.member(array_seen)
            }
            Some(b'"') if first => self.member(array_seen),
            found => Err(self.unexpected(found, "in the JSON object around the array")),
        }
    }

    /// A wrapper member: the array of records, or something skipped.
    fn member(&mut self, array_seen: bool) -> Result<(), FrameError> {
        if self.peek()? != Some(b'"') {
            let found = self.peek()?;
            return Err(self.unexpected(found, "where a member name belongs"));
        }
        let line = self.line;
        if !matches!(self.scan(true)?, Scanned::Whole) {
            return Err(FrameError(format!(
                "the member name on line {line} is cut or too long"
            )));
        }
        let name = String::from_utf8_lossy(&self.element).into_owned();
        if self.peek()? != Some(b':') {
            let found = self.peek()?;
            return Err(self.unexpected(found, "after a member name"));
        }
        self.consume(1);
        match self.peek()? {
            Some(b'[') if array_seen => Err(FrameError(format!(
                "member {name} on line {} is a second array: the input may hold one array of records",
                self.line
            ))),
            Some(b'[') => {
                self.consume(1);
                self.state = State::ArrayOpen { wrapped: true };
                Ok(())
            }
            Some(_) => {
                let line = self.line;
                if let Scanned::Cut = self.scan(false)? {
                    return Err(self.cut(format!("member {name}, which starts on line {line}")));
                }
                self.state = State::WrapperNext { array_seen };
                Ok(())
            }
            None => Err(self.cut(format!("member {name}"))),
        }
    }

    /// One step inside the array: an element, or (`None`) its end.
    fn array(&mut self, wrapped: bool) -> Result<Option<Frame>, FrameError> {
        let open = self.state == State::ArrayOpen { wrapped };
        match self.peek()? {
            Some(b']') => {
                self.consume(1);
                self.state = if wrapped {
                    State::WrapperNext { array_seen: true }
                } else {
                    State::Trailing
                };
                return Ok(None);
            }
            Some(b',') if !open => {
                self.consume(1);
                if let found @ (Some(b']') | None) = self.peek()? {
                    return Err(self.unexpected(found, "after a ',' in the array"));
                }
            }
            Some(_) if !open => {
                let found = self.peek()?;
                let after = format!("after element {}", self.count);
                return Err(self.unexpected(found, &after));
            }
            Some(_) => {}
            None => return Err(self.cut("the array".to_owned())),
        }
        if let found @ Some(b',' | b':' | b'}') = self.peek()? {
            return Err(self.unexpected(found, "where an element belongs"));
        }
        self.count += 1;
        self.state = State::ArrayNext { wrapped };
        let line = self.line;
        match self.scan(true)? {
            Scanned::Whole => Ok(Some(Frame::Element { line })),
            Scanned::Oversized => Ok(Some(Frame::Oversized { line })),
            Scanned::Cut => {
                let count = self.count;
                Err(self.cut(format!("element {count}, which starts on line {line}")))
            }
        }
    }

    fn consume(&mut self, bytes: usize) {
        self.reader.consume(bytes);
        self.offset += bytes as u64;
    }

    /// The next byte that is not whitespace, not consumed; `None` at the end.
    fn peek(&mut self) -> Result<Option<u8>, FrameError> {
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) => return Err(io_error(self.line, e)),
            };
            if buffer.is_empty() {
                return Ok(None);
            }
            let blank = buffer.iter().position(|b| !is_space(*b));
            let skipped = blank.unwrap_or(buffer.len());
            self.line += memchr::memchr_iter(b'\n', &buffer[..skipped]).count() as u64;
            if let Some(at) = blank {
                let found = buffer[at];
                self.consume(at);
                return Ok(Some(found));
            }
            self.consume(skipped);
        }
    }

    /// Reads one value from its first byte to its last, into `element`
    /// when `hold` and it fits the cap.
    fn scan(&mut self, hold: bool) -> Result<Scanned, FrameError> {
        self.element.clear();
        self.element_start = self.offset;
        let mut value = ValueScan::default();
        let mut kept = hold;
        loop {
            let buffer = match self.reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) => return Err(io_error(self.line, e)),
            };
            if buffer.is_empty() {
                return Ok(Scanned::Cut);
            }
            let end = value.feed(buffer, &mut self.line);
            let used = end.unwrap_or(buffer.len());
            if kept && self.element.len() + used > self.max_bytes {
                // Dropped as it is read: an oversized element is never held.
                kept = false;
                self.element = Vec::new();
            } else if kept {
                self.element.extend_from_slice(&buffer[..used]);
            }
            self.consume(used);
            if end.is_some() {
                return Ok(if kept || !hold {
                    Scanned::Whole
                } else {
                    Scanned::Oversized
                });
            }
        }
    }

    fn unexpected(&self, found: Option<u8>, place: &str) -> FrameError {
        match found {
            Some(b) => FrameError(format!(
                "unexpected {} on line {} {place}",
                shown(b),
                self.line
            )),
            None => self.cut("the JSON input".to_owned()),
        }
    }

    fn cut(&self, inside: String) -> FrameError {
        FrameError(format!(
            "the input ends inside {inside} (at line {}): the file is cut short",
            self.line
        ))
    }
}

/// A failed read (a corrupt compressed stream, say) ends the input.
fn io_error(line: u64, e: std::io::Error) -> FrameError {
    FrameError(format!("cannot read input after line {line}: {e}"))
}

/// Where a scan is inside one value.
#[derive(Default)]
struct ValueScan {
    started: bool,
    /// A number, `true`, `false`, `null` or garbage: it ends before the
    /// next separator or whitespace.
    scalar: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl ValueScan {
    /// Scans `buffer`, counting its line breaks into `line`: the offset
    /// just past the value's end when it ends in `buffer`.
    fn feed(&mut self, buffer: &[u8], line: &mut u64) -> Option<usize> {
        let mut i = 0;
        while i < buffer.len() {
            if self.in_string {
                i += self.feed_string(&buffer[i..], line)?;
                if !self.in_string && self.depth == 0 {
                    return Some(i);
                }
                continue;
            }
            let b = buffer[i];
            if !self.started {
                self.started = true;
                match b {
                    b'{' | b'[' => self.depth = 1,
                    b'"' => self.in_string = true,
                    _ => self.scalar = true,
                }
            } else if self.scalar {
                if is_space(b) || matches!(b, b',' | b']' | b'}') {
                    return Some(i);
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    b'\n' => *line += 1,
                    _ => {}
                }
            }
            i += 1;
        }
        None
    }

    /// Scans string text: how many bytes, up to and with the closing quote
    /// (`None`: all of them, the string goes on).
    fn feed_string(&mut self, text: &[u8], line: &mut u64) -> Option<usize> {
        let mut i = 0;
        loop {
            if self.escaped {
                // The escaped byte may be the next buffer's first.
                let escaped = *text.get(i)?;
                self.escaped = false;
                *line += u64::from(escaped == b'\n');
                i += 1;
            }
            // Skips the plain text between quotes, escapes and line breaks.
            let at = i + memchr::memchr3(b'"', b'\\', b'\n', text.get(i..)?)?;
            i = at + 1;
            match text[at] {
                b'"' => {
                    self.in_string = false;
                    return Some(i);
                }
                b'\\' => self.escaped = true,
                _ => *line += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame of `text`, read through a buffer of `capacity` bytes so
    /// values cross buffer boundaries: `"L: element"`, `"L: oversized"`, or
    /// the error, which ends the list.
    fn frames_with(text: &str, capacity: usize, max_bytes: usize) -> Vec<String> {
        let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
        let mut framer = Framer::new(reader, max_bytes);
        let mut out = Vec::new();
        loop {
            match framer.next_frame() {
                Ok(Frame::Element { line }) => out.push(format!(
                    "{line}: {}",
                    String::from_utf8_lossy(framer.element())
                )),
                Ok(Frame::Oversized { line }) => out.push(format!("{line}: oversized")),
                Ok(Frame::End) => break,
                Err(FrameError(message)) => {
                    out.push(message);
                    break;
                }
            }
        }
        assert_eq!(framer.next_frame(), Ok(Frame::End), "the end stays the end");
        out
    }

    /// The frames, the same through any buffer size.
    fn frames(text: &str) -> Vec<String> {
        let whole = frames_with(text, 64 * 1024, 1 << 20);
        for capacity in [1, 2, 3, 7] {
            assert_eq!(
                frames_with(text, capacity, 1 << 20),
                whole,
                "capacity {capacity}"
            );
        }
        whole
    }

    #[test]
    fn strings_may_hold_brackets_quotes_and_escapes() {
        let text = r#"[{"a":"x]}[{,"},{"b":"say \"hi\" \\","c":"\\\\"},{"d":"\u005d\\\"]"}]"#;
        assert_eq!(
            frames(text),
            [
                r#"1: {"a":"x]}[{,"}"#,
                r#"1: {"b":"say \"hi\" \\","c":"\\\\"}"#,
                r#"1: {"d":"\u005d\\\"]"}"#,
            ]
        );
    }

    #[test]
    fn nested_values_whitespace_and_line_numbers() {
        let text = "\u{feff}\n[\n  {\"a\": [[1, {\"b\": []}], []],\n   \"c\": {\"d\": {}}},\r\n\n\t{\"e\": 1}\n  ,{}\n]\n\n";
        assert_eq!(
            frames(text),
            [
                "3: {\"a\": [[1, {\"b\": []}], []],\n   \"c\": {\"d\": {}}}",
                "6: {\"e\": 1}",
                "7: {}",
            ]
        );
    }

    #[test]
    fn scalars_and_arrays_are_elements_too() {
        // The reader refuses them one by one; the framer only cuts.
        assert_eq!(
            frames("[1, \"two\" ,true,null,-2.5e3,[3]]"),
            [
                "1: 1",
                "1: \"two\"",
                "1: true",
                "1: null",
                "1: -2.5e3",
                "1: [3]"
            ]
        );
    }

    #[test]
    fn an_empty_array_has_no_elements() {
        assert!(frames("[]").is_empty());
        assert!(frames(" [ \n ] \n").is_empty());
        assert!(frames("{\"users\": []}").is_empty());
    }

    #[test]
    fn the_wrapper_objects_array_is_read_and_its_other_members_skipped() {
        let text = "{\"kind\": \"export\", \"meta\": {\"a\": [1, \"]\"]},\n \"users\": [\n{\"uid\":\"1\"},\n{\"uid\":\"2\"}\n], \"n\": 2, \"ok\": true}\n";
        assert_eq!(frames(text), ["3: {\"uid\":\"1\"}", "4: {\"uid\":\"2\"}"]);
    }

    #[test]
    fn a_second_array_member_is_an_error() {
        let text = "{\"users\": [{\"uid\":\"1\"}],\n \"groups\": [{\"g\":1}]}";
        let frames = frames(text);
        assert_eq!(frames[0], "1: {\"uid\":\"1\"}");
        assert_eq!(
            frames[1],
            "member \"groups\" on line 2 is a second array: the input may hold one array of records"
        );
        assert_eq!(frames.len(), 2);
    }

    #[test]
    fn an_object_without_an_array_or_another_top_level_value_is_refused() {
        let no_array = frames("{\"kind\": \"export\"}");
        assert!(
            no_array[0].contains("holds no array of records"),
            "{no_array:?}"
        );
        let csv = frames("username,email\nann,a@b.co\n");
        assert!(csv[0].contains("is not a JSON array of records"), "{csv:?}");
        assert!(csv[0].contains("starts with 'u' on line 1"), "{csv:?}");
        assert!(frames("   \n")[0].contains("starts with nothing"));
    }

    #[test]
    fn a_cut_input_is_an_error_with_its_line() {
        let cut = frames("[{\"a\":1},\n{\"b\":\"open");
        assert_eq!(cut[0], "1: {\"a\":1}");
        assert_eq!(
            cut[1],
            "the input ends inside element 2, which starts on line 2 (at line 2): the file is cut short"
        );
        let unclosed = frames("[{\"a\":1}\n");
        assert!(
            unclosed[1].contains("ends inside the array"),
            "{unclosed:?}"
        );
        let after_comma = frames("[{\"a\":1},\n\n");
        assert!(after_comma[1].contains("ends inside"), "{after_comma:?}");
        let wrapper = frames("{\"users\":[{\"a\":1}]");
        assert!(wrapper[1].contains("ends inside"), "{wrapper:?}");
    }

    #[test]
    fn anything_after_the_array_is_an_error() {
        let after = frames("[{\"a\":1}]\n\n{\"b\":2}\n");
        assert_eq!(
            after,
            [
                "1: {\"a\":1}",
                "the input goes on after its JSON array: '{' on line 3"
            ]
        );
        let missing_comma = frames("[{\"a\":1}\n{\"b\":2}]");
        assert_eq!(missing_comma[1], "unexpected '{' on line 2 after element 1");
        let trailing_comma = frames("[{\"a\":1},\n]");
        assert!(
            trailing_comma[1].starts_with("unexpected ']' on line 2"),
            "{trailing_comma:?}"
        );
    }

    #[test]
    fn an_oversized_element_is_skipped_without_being_held() {
        let long = "x".repeat(100_000);
        let text = format!("[{{\"a\":1}},\n{{\"big\":\"{long}\"}},\n{{\"b\":2}}]");
        let reader = std::io::BufReader::with_capacity(4096, text.as_bytes());
        let mut framer = Framer::new(reader, 1024);
        assert_eq!(framer.next_frame(), Ok(Frame::Element { line: 1 }));
        assert_eq!(framer.next_frame(), Ok(Frame::Oversized { line: 2 }));
        assert!(
            framer.element.capacity() <= 2 * 1024,
            "{}",
            framer.element.capacity()
        );
        assert_eq!(framer.next_frame(), Ok(Frame::Element { line: 3 }));
        assert_eq!(framer.element(), b"{\"b\":2}");
        assert_eq!(framer.element_start(), text.len() as u64 - 8);
        assert_eq!(framer.next_frame(), Ok(Frame::End));
        // A cap that an element exactly meets keeps it.
        assert_eq!(frames_with("[{\"a\":1}]", 3, 7), ["1: {\"a\":1}"]);
        assert_eq!(frames_with("[{\"a\":1}]", 3, 6), ["1: oversized"]);
    }

    #[test]
    fn unbalanced_brackets_inside_an_element_are_framed_on() {
        // `{"a":[1}` closes at depth 1; the framer cannot tell, and the
        // element runs on: the array never closes, which is an error.
        let broken = frames("[{\"a\":[1},{\"b\":2}]");
        assert!(
            broken.last().expect("error").contains("ends inside"),
            "{broken:?}"
        );
        // A broken element whose brackets balance is framed; serde judges it.
        assert_eq!(
            frames("[{\"a\":1,},{\"b\":2}]"),
            ["1: {\"a\":1,}", "1: {\"b\":2}"]
        );
    }
}
