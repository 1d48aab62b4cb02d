//! `help.getConfig`'s answer: plausible limits (Telegram's own vary by DC and over time); the
//! DC options are the simulator itself, once per DC it plays, not `static`, so clients keep the
//! session's address (grammers only takes `static` options from a config).

use grammers_tl_types::{enums, types};

/// `help.getConfig`'s answer: the DC `this_dc` of the DCs `dcs`, all reachable at the
/// simulator's own address.
pub(crate) fn config(
    now: i32,
    this_dc: i32,
    dcs: &[i32],
    ip: &str,
    port: u16,
    ipv6: bool,
) -> enums::Config {
    enums::Config::Config(types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now + 3600,
        test_mode: false,
        this_dc,
        dc_options: dcs
            .iter()
            .map(|&id| {
                enums::DcOption::Option(types::DcOption {
                    ipv6,
                    media_only: false,
                    tcpo_only: false,
                    cdn: false,
                    r#static: false,
                    this_port_only: true,
                    id,
                    ip_address: ip.to_string(),
                    port: i32::from(port),
                    secret: None,
                })
            })
            .collect(),
        dc_txt_domain_name: String::new(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: this_dc,
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    })
}
