//! How many bytes of text an input file holds, for sizing what grows with
//! its rows (the duplicate-username table) before the first row is read.
//! A plain file is its length. A compressed one would be guessed several
//! times too small from its length, and the table would then grow in steps
//! while it fills, ending up to half larger than it needs; so the size the
//! compressor recorded is used: gzip's trailer (the last member's size,
//! modulo 4 GiB, RFC 1952 `ISIZE`) and the zstd frame header's content size
//! (read by zstd's own library). A hint only: a wrong one costs memory or a
//! regrowth, never a row.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::sniff::{self, Compression};

/// The bytes of text `path` holds, as best known without reading it all;
/// `None` for what is not a regular file (stdin, a pipe).
pub(crate) fn text_bytes(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let metadata = file.metadata().ok().filter(std::fs::Metadata::is_file)?;
    let length = metadata.len();
    let mut head = [0u8; 18];
    let read = read_up_to(&mut file, &mut head).ok()?;
    let recorded = match sniff::compression(&head[..read]) {
        None => return Some(length),
        Some(Compression::Gzip) => gzip_size(&mut file, length),
        Some(Compression::Zstd) => zstd::zstd_safe::get_frame_content_size(&head[..read])
            .ok()
            .flatten(),
    };
    // Text compresses, so a recorded size below the file's own is one that
    // wrapped past 4 GiB (gzip) or covers a first frame only: the length
    // is then the better floor.
    Some(recorded.map_or(length, |size| size.max(length)))
}

/// Gzip's `ISIZE`: the last four bytes, little-endian.
fn gzip_size(file: &mut File, length: u64) -> Option<u64> {
    if length < 18 + 8 {
        return None;
    }
    file.seek(SeekFrom::End(-4)).ok()?;
    let mut trailer = [0u8; 4];
    file.read_exact(&mut trailer).ok()?;
    Some(u64::from(u32::from_le_bytes(trailer)))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn text(rows: usize) -> Vec<u8> {
        let mut text = b"username,email\n".to_vec();
        for i in 0..rows {
            text.extend_from_slice(format!("user{i},user{i}@example.com\n").as_bytes());
        }
        text
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn a_plain_file_is_its_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "u.csv", &text(100));
        assert_eq!(text_bytes(&path), Some(text(100).len() as u64));
    }

    #[test]
    fn a_gzip_file_is_the_size_its_trailer_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = text(5_000);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&plain).expect("compress");
        let gz = encoder.finish().expect("compress");
        assert!(gz.len() * 3 < plain.len(), "text compresses");
        let path = write(dir.path(), "u.csv.gz", &gz);
        assert_eq!(text_bytes(&path), Some(plain.len() as u64));
    }

    #[test]
    fn a_zstd_file_is_the_size_its_frame_header_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = text(5_000);
        // What `zstd FILE` writes: the frame header records the content size.
        let compressed = zstd::bulk::compress(&plain, 3).expect("compress");
        let path = write(dir.path(), "u.csv.zst", &compressed);
        assert_eq!(text_bytes(&path), Some(plain.len() as u64));
    }

    #[test]
    fn a_size_below_the_file_length_falls_back_to_the_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A gzip header and a trailer claiming 3 bytes: not believable.
        let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        bytes.extend_from_slice(&[0u8; 30]);
        bytes.extend_from_slice(&3u32.to_le_bytes());
        let path = write(dir.path(), "odd.gz", &bytes);
        assert_eq!(text_bytes(&path), Some(bytes.len() as u64));
        assert_eq!(text_bytes(dir.path()), None, "a directory is no input");
    }
}
