//! Reading the files a user names: regular files only, each bounded by the largest size its
//! format allows, so that a device (`/dev/zero`), a FIFO or a directory named by mistake is a
//! clear error instead of a hang or an unbounded read. Writing them: atomically
//! ([`write_atomic`]: a temporary file in the same directory, then a rename), never through a
//! symbolic link, so that a full disk or an interruption never leaves a truncated file.

use std::io::{self, Read, Write};
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

/// Writes `bytes` to `path` so that `path` holds either its old contents or all of `bytes`,
/// never a part: for a regular file (or a new one), the bytes go to a temporary file in the same
/// directory (`.NAME.PID.nnd-tmp`), which is then renamed over `path` (the permissions of a file
/// it replaces are kept); on any error the temporary file is removed and `path` is untouched. A
/// FIFO or a device (`/dev/stdout`) is written directly: it has no contents to lose.
///
/// # Errors
/// The I/O error; an [`io::ErrorKind::InvalidInput`] error when `path` is a symbolic link (nnd
/// never writes through one: a dangling or planted link would redirect the write elsewhere) or a
/// directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(m) = &existing {
        if m.file_type().is_symlink() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a symbolic link; nnd does not write through links (remove the link or \
                 name the file it points to)",
            ));
        }
        if m.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a directory; name a file inside it",
            ));
        }
        if !m.is_file() {
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            return f.write_all(bytes).and_then(|()| f.flush());
        }
    }
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it names no file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.nnd-tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        if let Some(m) = &existing {
            f.set_permissions(m.permissions())?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        // The temporary file is ours: removing it leaves the directory as it was.
        let _ = std::fs::remove_file(&tmp);
    }
    written
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

    #[test]
    fn writes_are_atomic_and_never_through_links() {
        let dir = std::env::temp_dir().join(format!("nnd-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("out.rs");
        write_atomic(&f, b"first").unwrap();
        write_atomic(&f, b"second").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"second");
        // A failed write leaves the old file and no temporary file: a directory is not writable
        // as a file, and a path inside a missing directory fails before anything is created.
        let e = write_atomic(&dir, b"x").unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        assert!(write_atomic(&dir.join("missing/out.rs"), b"x").is_err());
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.rs")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The permissions of a replaced file are kept.
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
            write_atomic(&f, b"third").unwrap();
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
            // A link, dangling or not, is refused and its target untouched.
            let target = dir.join("target.txt");
            std::fs::write(&target, b"keep").unwrap();
            let link = dir.join("link.rs");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let e = write_atomic(&link, b"x").unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
            assert_eq!(std::fs::read(&target).unwrap(), b"keep");
            let dangling = dir.join("dangling.rs");
            std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
            assert!(write_atomic(&dangling, b"x").is_err());
            assert!(!dir.join("nowhere").exists());
            // A device is written directly (nothing to replace).
            write_atomic(Path::new("/dev/null"), b"x").unwrap();
            // A full device is an error, reported (Linux's /dev/full).
            if Path::new("/dev/full").exists() {
                assert!(write_atomic(Path::new("/dev/full"), b"x").is_err());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
