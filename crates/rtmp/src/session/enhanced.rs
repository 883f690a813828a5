//! Enhanced RTMP v2 capability negotiation in `connect`: the `capsEx` bits
//! ([`CapsEx`]), the per-codec capability maps `videoFourCcInfoMap` and
//! `audioFourCcInfoMap` ([`FourCcInfoMap`] of [`FourCcInfo`] flags), and
//! everything one side states in its `connect` command object or its
//! `_result` properties ([`ConnectCaps`]).
//!
//! The client offers these properties in the command object of `connect`;
//! the server states its own in the properties object (the first value
//! after the transaction id) of the `_result`. A side that sends none of
//! them is a legacy (or Enhanced RTMP v1) peer and is answered as before.

use std::fmt;
use std::ops::{BitAnd, BitOr};

use crate::amf0::Value;
use crate::media::FourCc;

/// Enhanced RTMP `capsEx`: the extended capabilities a side supports, a bit
/// set. The client offers its bits in `connect`; the server answers with
/// the bits both support, which are then the negotiated set
/// ([`ServerSession::caps_ex`](super::ServerSession::caps_ex),
/// [`ClientSession::caps_ex`](super::ClientSession::caps_ex)).
///
/// ```
/// use wirestate_rtmp::session::CapsEx;
///
/// let offered = CapsEx::RECONNECT | CapsEx::MULTITRACK | CapsEx::MOD_EX;
/// let supported = CapsEx::RECONNECT | CapsEx::TIMESTAMP_NANO_OFFSET;
/// assert_eq!(offered & supported, CapsEx::RECONNECT);
/// assert!(offered.contains(CapsEx::MOD_EX));
/// assert_eq!(offered.bits(), 0x07);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapsEx(pub u32);

impl CapsEx {
    /// No extended capability (what a legacy peer has).
    pub const NONE: CapsEx = CapsEx(0);
    /// `Reconnect` (0x01): handles `NetConnection.Connect.ReconnectRequest`.
    pub const RECONNECT: CapsEx = CapsEx(0x01);
    /// `Multitrack` (0x02): multitrack audio and video.
    pub const MULTITRACK: CapsEx = CapsEx(0x02);
    /// `ModEx` (0x04): can parse the ModEx signal.
    pub const MOD_EX: CapsEx = CapsEx(0x04);
    /// `TimestampNanoOffset` (0x08): nanosecond timestamp offsets.
    pub const TIMESTAMP_NANO_OFFSET: CapsEx = CapsEx(0x08);

    /// The bits as on the wire.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: CapsEx) -> bool {
        self.0 & other.0 == other.0
    }

    /// Reads a `capsEx` value: a non-negative whole number below 2^32;
    /// `None` for anything else.
    pub fn from_value(value: &Value) -> Option<CapsEx> {
        whole_u32(value.as_f64()?).map(CapsEx)
    }

    /// The value as sent: an AMF0 number.
    pub fn to_value(self) -> Value {
        Value::Number(f64::from(self.0))
    }
}

impl BitOr for CapsEx {
    type Output = CapsEx;
    fn bitor(self, other: CapsEx) -> CapsEx {
        CapsEx(self.0 | other.0)
    }
}

impl BitAnd for CapsEx {
    type Output = CapsEx;
    fn bitand(self, other: CapsEx) -> CapsEx {
        CapsEx(self.0 & other.0)
    }
}

impl fmt::Debug for CapsEx {
    /// The names of the known bits, then any unknown ones in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (CapsEx::RECONNECT, "Reconnect"),
            (CapsEx::MULTITRACK, "Multitrack"),
            (CapsEx::MOD_EX, "ModEx"),
            (CapsEx::TIMESTAMP_NANO_OFFSET, "TimestampNanoOffset"),
        ];
        let mut list = f.debug_set();
        for (bit, name) in names {
            if self.contains(bit) {
                list.entry(&format_args!("{name}"));
            }
        }
        let unknown = self.0 & !0x0f;
        if unknown != 0 {
            list.entry(&format_args!("{unknown:#x}"));
        }
        list.finish()
    }
}

/// The capability flags of one codec in a [`FourCcInfoMap`]
/// (`FourCcInfoMask`).
///
/// ```
/// use wirestate_rtmp::session::FourCcInfo;
///
/// let info = FourCcInfo::CAN_DECODE | FourCcInfo::CAN_FORWARD;
/// assert_eq!(info.bits(), 5);
/// assert!(!info.contains(FourCcInfo::CAN_ENCODE));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FourCcInfo(pub u32);

impl FourCcInfo {
    /// `CanDecode` (0x01).
    pub const CAN_DECODE: FourCcInfo = FourCcInfo(0x01);
    /// `CanEncode` (0x02).
    pub const CAN_ENCODE: FourCcInfo = FourCcInfo(0x02);
    /// `CanForward` (0x04).
    pub const CAN_FORWARD: FourCcInfo = FourCcInfo(0x04);

    /// The bits as on the wire.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: FourCcInfo) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for FourCcInfo {
    type Output = FourCcInfo;
    fn bitor(self, other: FourCcInfo) -> FourCcInfo {
        FourCcInfo(self.0 | other.0)
    }
}

/// A key of a [`FourCcInfoMap`]: one codec, or the `*` wildcard for any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FourCcKey {
    /// `*`: every codec.
    Any,
    /// One codec.
    Codec(FourCc),
}

impl FourCcKey {
    /// Reads a property name: `*` or exactly four bytes; `None` otherwise.
    pub fn parse(name: &str) -> Option<FourCcKey> {
        match name.as_bytes() {
            b"*" => Some(FourCcKey::Any),
            &[a, b, c, d] => Some(FourCcKey::Codec(FourCc([a, b, c, d]))),
            _ => None,
        }
    }

    /// The property name as sent.
    pub fn name(self) -> String {
        match self {
            FourCcKey::Any => "*".to_owned(),
            FourCcKey::Codec(fourcc) => String::from_utf8_lossy(&fourcc.0).into_owned(),
        }
    }
}

/// An Enhanced RTMP v2 `videoFourCcInfoMap` or `audioFourCcInfoMap`: per
/// codec (or `*` for any codec), what a side can do with it.
///
/// Entries keep their wire order; a key set twice keeps its last value.
/// Properties that are neither `*` nor four bytes long, or whose value is
/// not a whole number in 0..2^32, are left out when reading.
///
/// ```
/// use wirestate_rtmp::media::FourCc;
/// use wirestate_rtmp::session::{FourCcInfo, FourCcInfoMap, FourCcKey};
///
/// // Forwards any codec, and decodes and encodes VP9.
/// let map = FourCcInfoMap::new()
///     .with(FourCcKey::Any, FourCcInfo::CAN_FORWARD)
///     .with(FourCcKey::Codec(FourCc::VP9), FourCcInfo::CAN_DECODE | FourCcInfo::CAN_ENCODE);
/// assert_eq!(map.capabilities(FourCc::VP9).bits(), 7);
/// assert_eq!(map.capabilities(FourCc::AV1), FourCcInfo::CAN_FORWARD);
/// assert_eq!(FourCcInfoMap::from_value(&map.to_value()), Some(map));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FourCcInfoMap {
    entries: Vec<(FourCcKey, FourCcInfo)>,
}

impl FourCcInfoMap {
    /// An empty map.
    pub fn new() -> FourCcInfoMap {
        FourCcInfoMap::default()
    }

    /// `*` with `CanForward`: a relay that passes any codec through.
    pub fn forward_all() -> FourCcInfoMap {
        FourCcInfoMap::new().with(FourCcKey::Any, FourCcInfo::CAN_FORWARD)
    }

    /// Sets the flags of `key` (replacing an earlier entry for it).
    pub fn with(mut self, key: FourCcKey, info: FourCcInfo) -> FourCcInfoMap {
        self.set(key, info);
        self
    }

    /// Sets the flags of `key` (replacing an earlier entry for it).
    pub fn set(&mut self, key: FourCcKey, info: FourCcInfo) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = info,
            None => self.entries.push((key, info)),
        }
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[(FourCcKey, FourCcInfo)] {
        &self.entries
    }

    /// Whether the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The flags set on `key` itself, if it has an entry.
    pub fn get(&self, key: FourCcKey) -> Option<FourCcInfo> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, info)| *info)
    }

    /// What the side can do with `fourcc`: its own flags plus those of
    /// `*`, which apply to every codec (empty if neither is present).
    pub fn capabilities(&self, fourcc: FourCc) -> FourCcInfo {
        let own = self.get(FourCcKey::Codec(fourcc)).unwrap_or_default();
        own | self.get(FourCcKey::Any).unwrap_or_default()
    }

    /// Reads the map from an AMF0 object (or ECMA array); `None` if
    /// `value` has no properties.
    pub fn from_value(value: &Value) -> Option<FourCcInfoMap> {
        let mut map = FourCcInfoMap::new();
        for (name, value) in value.properties()? {
            let key = FourCcKey::parse(name);
            let bits = value.as_f64().and_then(whole_u32);
            if let (Some(key), Some(bits)) = (key, bits) {
                map.set(key, FourCcInfo(bits));
            }
        }
        Some(map)
    }

    /// The map as sent: an AMF0 object of numbers.
    pub fn to_value(&self) -> Value {
        let properties = self
            .entries
            .iter()
            .map(|(key, info)| (key.name(), Value::Number(f64::from(info.0))))
            .collect();
        Value::Object(properties)
    }
}

/// The Enhanced RTMP capabilities one side states: in the command object of
/// `connect` (the client) or in the properties of its `_result` (the
/// server). Every field is `None` when absent (a legacy peer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectCaps {
    /// `fourCcList` (Enhanced RTMP v1): the codecs, `*` for any.
    pub four_cc_list: Option<Vec<String>>,
    /// `videoFourCcInfoMap`.
    pub video_four_cc_info_map: Option<FourCcInfoMap>,
    /// `audioFourCcInfoMap`.
    pub audio_four_cc_info_map: Option<FourCcInfoMap>,
    /// `capsEx`.
    pub caps_ex: Option<CapsEx>,
}

impl ConnectCaps {
    /// Reads the Enhanced RTMP properties of an object (the `connect`
    /// command object or the `_result` properties); malformed ones are
    /// taken as absent.
    pub fn from_object(object: &Value) -> ConnectCaps {
        let four_cc_list = match object.get("fourCcList") {
            Some(Value::StrictArray(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        };
        let map = |key| object.get(key).and_then(FourCcInfoMap::from_value);
        ConnectCaps {
            four_cc_list,
            video_four_cc_info_map: map("videoFourCcInfoMap"),
            audio_four_cc_info_map: map("audioFourCcInfoMap"),
            caps_ex: object.get("capsEx").and_then(CapsEx::from_value),
        }
    }

    /// Whether the side stated any Enhanced RTMP v2 property (an info map
    /// or `capsEx`).
    pub fn is_v2(&self) -> bool {
        self.video_four_cc_info_map.is_some()
            || self.audio_four_cc_info_map.is_some()
            || self.caps_ex.is_some()
    }
}

/// `value` as a `u32`, if it is a whole number in range.
fn whole_u32(value: f64) -> Option<u32> {
    let whole = value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value);
    whole.then_some(value as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_ex_reads_only_whole_numbers_in_range() {
        let cases = [
            (Value::Number(15.0), Some(CapsEx(15))),
            (Value::Number(0.0), Some(CapsEx::NONE)),
            (Value::Number(4294967295.0), Some(CapsEx(u32::MAX))),
            (Value::Number(4294967296.0), None),
            (Value::Number(-1.0), None),
            (Value::Number(1.5), None),
            (Value::Number(f64::NAN), None),
            (Value::String("1".into()), None),
        ];
        for (value, expected) in cases {
            assert_eq!(CapsEx::from_value(&value), expected, "{value:?}");
        }
        assert_eq!(
            format!("{:?}", CapsEx(0x35)),
            "{Reconnect, ModEx, 0x30}".to_owned()
        );
    }

    #[test]
    fn info_maps_skip_malformed_entries() {
        let value = Value::EcmaArray(vec![
            ("*".into(), Value::Number(4.0)),
            ("hvc1".into(), Value::Number(3.0)),
            ("toolong".into(), Value::Number(1.0)),
            ("av01".into(), Value::String("1".into())),
            ("vp09".into(), Value::Number(-2.0)),
            ("hvc1".into(), Value::Number(1.0)),
        ]);
        let map = FourCcInfoMap::from_value(&value).unwrap();
        assert_eq!(
            map.entries(),
            [
                (FourCcKey::Any, FourCcInfo::CAN_FORWARD),
                (FourCcKey::Codec(FourCc::HEVC), FourCcInfo::CAN_DECODE),
            ]
        );
        assert_eq!(map.capabilities(FourCc::HEVC).bits(), 5);
        assert_eq!(map.capabilities(FourCc::AV1).bits(), 4);
        assert!(FourCcInfoMap::from_value(&Value::Number(1.0)).is_none());
        assert_eq!(FourCcInfoMap::new().capabilities(FourCc::AVC).bits(), 0);
    }

    #[test]
    fn connect_caps_of_a_legacy_object_are_empty() {
        let object = Value::Object(vec![("app".into(), "live".into())]);
        let caps = ConnectCaps::from_object(&object);
        assert_eq!(caps, ConnectCaps::default());
        assert!(!caps.is_v2());
        let object = Value::Object(vec![("capsEx".into(), Value::Number(1.0))]);
        assert!(ConnectCaps::from_object(&object).is_v2());
    }
}
