//! Gzip and zstd inputs, recognised by their first bytes whatever the file
//! is called, decompressed as they stream (never whole in memory).
//! Concatenated gzip members and zstd frames read as one stream. A corrupt
//! or cut-short stream is a read error that names the compression, so the
//! input ends with it rather than quietly stopping early.

use std::io::{self, BufRead, BufReader, Read};

use super::sniff::{self, Compression};

/// Any input's bytes: a file, stdin, or what a decoder makes of them.
pub(crate) type Source = Box<dyn Read + Send>;

/// The buffer every stage of reading uses.
pub(crate) const BUFFER_BYTES: usize = 256 * 1024;

/// `reader`, decompressed when its first bytes are gzip's or zstd's.
pub(crate) fn decompressed(mut reader: BufReader<Source>) -> io::Result<BufReader<Source>> {
    let decoder: Source = match sniff::compression(reader.fill_buf()?) {
        None => return Ok(reader),
        Some(Compression::Gzip) => Box::new(Named {
            inner: flate2::bufread::MultiGzDecoder::new(reader),
            name: "gzip",
        }),
        Some(Compression::Zstd) => Box::new(Named {
            inner: zstd::stream::read::Decoder::with_buffer(reader)?,
            name: "zstd",
        }),
    };
    Ok(BufReader::with_capacity(BUFFER_BYTES, decoder))
}

/// A decoder whose errors say which compression failed: "corrupt deflate
/// stream" alone does not tell a user that the file is a broken download.
struct Named<R> {
    inner: R,
    name: &'static str,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            let message = format!("the {} data is corrupt or cut short ({e})", self.name);
            io::Error::new(e.kind(), message)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text).expect("compress");
        encoder.finish().expect("compress")
    }

    /// All of `bytes` through [`decompressed`], read with a small buffer.
    fn read_all(bytes: Vec<u8>) -> io::Result<Vec<u8>> {
        let source: Source = Box::new(io::Cursor::new(bytes));
        let mut reader = decompressed(BufReader::with_capacity(16, source))?;
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(
            read_all(b"username\nann\n".to_vec()).expect("read"),
            b"username\nann\n"
        );
        assert_eq!(read_all(Vec::new()).expect("read"), b"");
    }

    #[test]
    fn concatenated_gzip_members_read_as_one_stream() {
        let mut bytes = gzip(b"username,email\n");
        bytes.extend(gzip(b"ann,a@b.co\n"));
        bytes.extend(gzip(b"bob,b@b.co\n"));
        assert_eq!(
            read_all(bytes).expect("read"),
            b"username,email\nann,a@b.co\nbob,b@b.co\n"
        );
    }

    #[test]
    fn zstd_frames_read_as_one_stream() {
        let mut bytes = zstd::encode_all(&b"{\"a\":1}\n"[..], 1).expect("compress");
        bytes.extend(zstd::encode_all(&b"{\"a\":2}\n"[..], 1).expect("compress"));
        assert_eq!(read_all(bytes).expect("read"), b"{\"a\":1}\n{\"a\":2}\n");
    }

    #[test]
    fn a_cut_or_corrupt_stream_is_an_error_naming_its_compression() {
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("user{i},x\n").into_bytes())
            .collect();
        let gz = gzip(&text);
        let zst = zstd::encode_all(&text[..], 1).expect("compress");
        let mut corrupt = gz.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle..middle + 64].fill(0xAA);
        for (name, bytes) in [
            ("gzip", gz[..gz.len() / 2].to_vec()),
            ("gzip", gz[..gz.len() - 4].to_vec()),
            ("gzip", corrupt),
            ("zstd", zst[..zst.len() / 2].to_vec()),
            ("zstd", zst[..zst.len() - 1].to_vec()),
        ] {
            let error = read_all(bytes).expect_err(name).to_string();
            assert!(
                error.starts_with(&format!("the {name} data is corrupt or cut short")),
                "{error}"
            );
        }
    }
}
