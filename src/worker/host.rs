//! Facts about this process and machine that the worker reads from the OS: its resident memory
//! (for --memory) and the host name (for worker ids and the registry).

/// This process's resident memory in MiB (Linux /proc; 0 where unknown).
pub fn resident_mb() -> u64 {
    use std::os::unix::fs::FileExt;
    // Checked after every job (--memory): the file stays open and is read again from its
    // start, one system call instead of open, stat, two reads and close each time.
    static STATM: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    let mut buf = [0u8; 128];
    let pages = STATM
        .get_or_init(|| std::fs::File::open("/proc/self/statm").ok())
        .as_ref()
        .and_then(|f| f.read_at(&mut buf, 0).ok())
        .and_then(|n| std::str::from_utf8(&buf[..n]).ok())
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page / (1024 * 1024)
}

/// This machine's host name, for worker ids.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".into()
    }
}
