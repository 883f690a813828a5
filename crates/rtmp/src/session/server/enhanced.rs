//! Enhanced RTMP v2 on the server side: the capabilities stated in the
//! `_result` of `connect`, the negotiated `capsEx`, and the reconnect
//! request.

use crate::amf0::Value;
use crate::message::{Command, Connect};
use crate::session::status;
use crate::session::{CapsEx, ConnectCaps, ServerConfig, ServerSession, RECONNECT_REQUEST};
use crate::LocalError;

impl ServerSession {
    /// The negotiated Enhanced RTMP `capsEx`: the bits the client offered
    /// in `connect` that [`ServerConfig::caps_ex`] also has, once `connect`
    /// was accepted ([`CapsEx::NONE`] before, and for a client that offered
    /// none).
    pub fn caps_ex(&self) -> CapsEx {
        self.role.caps_ex
    }

    /// Asks the client to reconnect (Enhanced RTMP v2): `onStatus` on
    /// stream 0 with level `status`, code
    /// [`NetConnection.Connect.ReconnectRequest`](RECONNECT_REQUEST), and
    /// `description` and `tcUrl` when given. `tc_url` names the server to
    /// go to (absolute, or relative to the current `tcUrl`); without it the
    /// client reconnects to the same URL. Drain
    /// [`poll_transmit`](wirestate_core::Machine::poll_transmit) next.
    ///
    /// Meant for a connected client, ideally one that offered
    /// [`CapsEx::RECONNECT`] (see [`caps_ex`](Self::caps_ex)); a legacy
    /// client sees an unknown status. The session keeps serving the client
    /// until it disconnects, as the specification asks.
    ///
    /// # Errors
    ///
    /// [`LocalError::Closed`] if the session is closed.
    pub fn request_reconnect(
        &mut self,
        tc_url: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), LocalError> {
        let mut info = vec![
            ("level".to_owned(), Value::String("status".into())),
            ("code".to_owned(), Value::String(RECONNECT_REQUEST.into())),
        ];
        if let Some(description) = description {
            info.push(("description".to_owned(), Value::String(description.into())));
        }
        if let Some(tc_url) = tc_url {
            info.push(("tcUrl".to_owned(), Value::String(tc_url.into())));
        }
        let info = Value::Object(info);
        let command = Command::OnStatus {
            transaction_id: 0.0,
            info,
        };
        self.send_on(0, status::command(command))
    }
}

/// The `_result` properties of an accepted `connect` and the negotiated
/// `capsEx`: the server version, then the Enhanced RTMP answer to what the
/// client offered (a legacy client gets the legacy properties only).
///
/// - `fourCcList` (v1): the configured codecs the client also listed (or
///   all of them for `*`);
/// - to a v2 client (an info map or `capsEx` offered): the configured
///   `videoFourCcInfoMap` and `audioFourCcInfoMap` (each unless empty);
/// - `capsEx`, when offered: the bits both support.
pub(super) fn connect_properties(config: &ServerConfig, connect: &Connect) -> (Value, CapsEx) {
    let offered = ConnectCaps::from_object(&connect.command_object);
    let mut properties = vec![
        ("fmsVer".to_owned(), Value::String("FMS/3,0,1,123".into())),
        ("capabilities".to_owned(), Value::Number(31.0)),
    ];
    if let Some(list) = &offered.four_cc_list {
        let common: Vec<Value> = config
            .four_cc_list
            .iter()
            .filter(|ours| {
                list.iter()
                    .any(|theirs| *theirs == "*" || theirs.as_bytes() == ours.0)
            })
            .map(|fourcc| Value::String(fourcc.to_string()))
            .collect();
        properties.push(("fourCcList".to_owned(), Value::StrictArray(common)));
    }
    if offered.is_v2() {
        for (key, map) in [
            ("videoFourCcInfoMap", &config.video_four_cc_info_map),
            ("audioFourCcInfoMap", &config.audio_four_cc_info_map),
        ] {
            if !map.is_empty() {
                properties.push((key.to_owned(), map.to_value()));
            }
        }
    }
    let negotiated = offered.caps_ex.map(|caps| caps & config.caps_ex);
    if let Some(common) = negotiated {
        properties.push(("capsEx".to_owned(), common.to_value()));
    }
    (Value::Object(properties), negotiated.unwrap_or_default())
}
