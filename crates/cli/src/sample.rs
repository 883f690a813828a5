//! The recorded captures compiled into the binary, which `inspect` decodes
//! when it is given no file.

/// One capture and how to decode it.
pub(crate) struct Sample<C: 'static> {
    /// The capture's path under `tests/captures/`.
    pub(crate) name: &'static str,
    /// Its bytes.
    pub(crate) bytes: &'static [u8],
    /// The protocol mode's settings for it.
    pub(crate) config: C,
}

/// A [`Sample`] of `tests/captures/$path`, decoded with `$config`.
macro_rules! sample {
    ($path:literal, $config:expr) => {
        $crate::sample::Sample {
            name: $path,
            bytes: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/captures/",
                $path
            )),
            config: $config,
        }
    };
}
pub(crate) use sample;
