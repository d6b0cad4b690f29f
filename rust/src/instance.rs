//! One engine per process: a second copy of this library refuses to work.
//!
//! Two copies of the engine in one process (an extension wheel that bundled its own, say)
//! would each keep their own scopes: Python would set a value through one while a C++ kernel
//! read the default through the other, silently. Python loads extensions with `RTLD_LOCAL`,
//! so the copies cannot find each other's symbols by name. Instead, the first call into a copy
//! asks the dynamic loader for every file loaded in the process, looks up `hp_abi_version` in
//! each, and compares the file that defines it with its own. A copy that finds another fails
//! every call with `HP_OTHER_ENGINE`, naming both files; its verdict is taken once.
//!
//! Checked where the loader can be asked for its files: ELF systems (`dl_iterate_phdr`) and
//! macOS (dyld). Elsewhere every copy works on its own, as before.

use std::sync::OnceLock;

use crate::error::Error;

static VERDICT: OnceLock<Option<Error>> = OnceLock::new();

/// Why this copy refuses to work, or `None`.
#[inline]
pub(crate) fn refusal() -> Option<&'static Error> {
    VERDICT.get_or_init(other_copy).as_ref()
}

/// A function of this copy, to find the file it was loaded from.
#[inline(never)]
extern "C" fn this_copy() {}

#[cfg(unix)]
fn other_copy() -> Option<Error> {
    let ours = loader::file_of(this_copy as *const libc::c_void)?;
    for path in loader::loaded_files() {
        // SAFETY: `path` is a file the loader reports as loaded; asking for it again with
        // RTLD_NOLOAD never loads anything.
        let Some(other) = (unsafe { loader::engine_in(&path) }) else {
            continue;
        };
        if other.base != ours.base {
            return Some(Error::OtherEngine {
                ours: ours.name,
                other: other.name,
            });
        }
    }
    None
}

#[cfg(not(unix))]
fn other_copy() -> Option<Error> {
    None
}

#[cfg(unix)]
mod loader {
    use std::ffi::{c_void, CStr, CString};

    /// A loaded file: where it is mapped and its name.
    pub(super) struct File {
        pub(super) base: usize,
        pub(super) name: String,
    }

    /// The loaded file that holds `address`.
    pub(super) fn file_of(address: *const c_void) -> Option<File> {
        // SAFETY: Dl_info is plain data that dladdr fills in; zeroed is a valid value for it.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: dladdr only reads the address and writes `info`.
        if unsafe { libc::dladdr(address, &mut info) } == 0 || info.dli_fname.is_null() {
            return None;
        }
        // SAFETY: dladdr set a NUL-terminated name owned by the loader.
        let name = unsafe { CStr::from_ptr(info.dli_fname) };
        Some(File {
            base: info.dli_fbase as usize,
            name: name.to_string_lossy().into_owned(),
        })
    }

    /// The engine a loaded file holds or links, if any: the file that defines the
    /// `hp_abi_version` found from `path` (the file itself, or one it depends on).
    ///
    /// # Safety
    /// `path` must name a file the loader reports as loaded.
    pub(super) unsafe fn engine_in(path: &CStr) -> Option<File> {
        // SAFETY: RTLD_NOLOAD only returns a handle to a file that is already loaded (taking
        // a reference, given back below); it never runs initialisers.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOLOAD | libc::RTLD_LAZY) };
        if handle.is_null() {
            return None;
        }
        // SAFETY: a valid handle and a NUL-terminated name.
        let symbol = unsafe { libc::dlsym(handle, c"hp_abi_version".as_ptr()) };
        let file = if symbol.is_null() {
            None
        } else {
            file_of(symbol)
        };
        // SAFETY: gives back the reference dlopen took; the file stays loaded by its owner.
        unsafe { libc::dlclose(handle) };
        file
    }

    /// Every file the loader has loaded, but the main program.
    #[cfg(not(target_vendor = "apple"))]
    pub(super) fn loaded_files() -> Vec<CString> {
        unsafe extern "C" fn collect(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            data: *mut c_void,
        ) -> libc::c_int {
            // SAFETY: `data` is the Vec passed below, `info` the loader's valid record.
            let (files, name) = unsafe { (&mut *data.cast::<Vec<CString>>(), (*info).dlpi_name) };
            if !name.is_null() {
                // SAFETY: the loader's NUL-terminated name, copied before the callback returns.
                let name = unsafe { CStr::from_ptr(name) };
                if !name.is_empty() {
                    files.push(name.to_owned());
                }
            }
            0
        }
        let mut files: Vec<CString> = Vec::new();
        // Names are collected first and looked at after: dlopen inside the callback would
        // wait for the lock dl_iterate_phdr holds.
        // SAFETY: the callback only reads each record and pushes to `files`.
        unsafe { libc::dl_iterate_phdr(Some(collect), (&mut files as *mut Vec<CString>).cast()) };
        files
    }

    /// Every file the loader has loaded, but the main program.
    #[cfg(target_vendor = "apple")]
    pub(super) fn loaded_files() -> Vec<CString> {
        // SAFETY: dyld's image list; indexes below the count are valid (an image unloaded
        // meanwhile gives NULL, skipped).
        let count = unsafe { libc::_dyld_image_count() };
        (1..count)
            .filter_map(|i| {
                let name = unsafe { libc::_dyld_get_image_name(i) };
                // SAFETY: non-NULL names are NUL-terminated and owned by dyld.
                (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) }.to_owned())
            })
            .collect()
    }
}
