//! Reading the files a user names: regular files only, each bounded by the largest size its
//! format allows, so that a device (`/dev/zero`), a FIFO or a directory named by mistake is a
//! clear error instead of a hang or an unbounded read.

use std::io::{self, Read};
use std::path::Path;

/// The kinds of file nnd reads, each with the largest size its format allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// `.nnd` source: byte offsets in spans and diagnostics are 32-bit (4 GiB - 1).
    Nnd,
    /// `.tflite` model: a FlatBuffer, whose offsets are 32-bit signed (2 GiB - 1).
    Tflite,
    /// `.safetensors` weights: at most the constants of a `.tflite` model (2 GiB - 1).
    Weights,
}

impl FileKind {
    /// The largest size in bytes this kind of file can have.
    #[must_use]
    pub fn limit(self) -> u64 {
        match self {
            FileKind::Nnd => u64::from(u32::MAX),
            FileKind::Tflite | FileKind::Weights => i32::MAX as u64,
        }
    }

    /// The kind's name in messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Nnd => "a .nnd file",
            FileKind::Tflite => "a .tflite model",
            FileKind::Weights => "a weights file",
        }
    }

    /// Why the limit is what it is, for messages.
    fn why(self) -> &'static str {
        match self {
            FileKind::Nnd => "byte offsets in .nnd diagnostics are 32-bit",
            FileKind::Tflite => "a FlatBuffer's offsets are 32-bit signed",
            FileKind::Weights => "a weights file holds at most a .tflite model's constants",
        }
    }
}

/// Reads `path`, which must be a regular file of at most `kind.limit()` bytes.
///
/// # Errors
/// The I/O error, or an [`io::ErrorKind::InvalidInput`] error saying what `path` is when it is
/// not a regular file (a directory, FIFO, device or socket) or how large it is when it exceeds
/// the limit.
pub fn read(path: &Path, kind: FileKind) -> io::Result<Vec<u8>> {
    read_at_most(path, kind.limit(), kind.name(), kind.why())
}

/// Reads `path`, which must be a regular file of at most `limit` bytes; `what` names the file's
/// role and `why` the reason for the limit in the error.
///
/// # Errors
/// As [`read`].
pub fn read_at_most(path: &Path, limit: u64, what: &str, why: &str) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file; nnd reads {what} only from a regular file",
                file_type(&meta)
            ),
        ));
    }
    let too_large = |len: u64| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {len} bytes, more than the {limit} bytes {what} can have ({why})"),
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    // Allocated without aborting: a host short of memory gets an error, not a crash.
    bytes
        .try_reserve_exact(usize::try_from(meta.len()).unwrap_or(usize::MAX))
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!(
                    "cannot allocate {} bytes on the host to read it",
                    meta.len()
                ),
            )
        })?;
    // The file may grow after `metadata`: never read more than one byte past the limit.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// What a path that is not a regular file is, in words.
fn file_type(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_others_refused() {
        let dir = std::env::temp_dir().join(format!("nnd-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.nnd");
        std::fs::write(&f, b"network").unwrap();
        assert_eq!(read(&f, FileKind::Nnd).unwrap(), b"network");
        let e = read(&dir, FileKind::Nnd).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().contains("a directory, not a regular file"),
            "{e}"
        );
        let e = read_at_most(&f, 3, "a test file", "a test").unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is 7 bytes, more than the 3 bytes a test file can have (a test)"
        );
        assert!(read(&dir.join("missing"), FileKind::Weights).is_err());
        #[cfg(unix)]
        {
            // `/dev/zero` would be read forever: refused at once.
            let e = read(Path::new("/dev/zero"), FileKind::Weights).unwrap_err();
            assert_eq!(
                e.to_string(),
                "it is a character device, not a regular file; nnd reads a weights file only \
                 from a regular file"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
