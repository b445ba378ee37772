
[клиент → сервер] ClientHello (154 байт, открытым текстом)
    клиент начинает: вот что я умею, выбери по одному из каждого списка
    старшая поддерживаемая версия протокола: TLS 1.2
    случайное число клиента (32 открытых байта, делающих ключи этого рукопожатия уникальными): 54861eebdff2ef161ca00455c42192c662dbf0730a867bcc2c43a5b2a2c3aac3
    идентификатор сессии: пуст (возобновлять нечего)
    наборы шифров в порядке предпочтения клиента (1):
        1. TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xc02c)
    расширения в порядке отправки (10):
        server_name (0x0000): сервер, к которому он обращается: localhost
        supported_groups (0x000a): поддерживаемые группы обмена ключами: x25519, secp256r1, secp384r1, secp521r1
        ec_point_formats (0x000b): форматы точек эллиптической кривой: [0]
        signature_algorithms (0x000d): принимаемые схемы подписи: ecdsa_secp256r1_sha256, ed25519, rsa_pss_rsae_sha256, rsa_pss_rsae_sha384, rsa_pss_rsae_sha512, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512, rsa_pkcs1_sha256, rsa_pkcs1_sha384, rsa_pkcs1_sha512
        application_layer_protocol_negotiation (0x0010): прикладные протоколы: http/1.1
        status_request (0x0005): просит приложить ответ OCSP
        signed_certificate_timestamp (0x0012): метки Certificate Transparency (0)
        extended_master_secret (0x0017): расширенный мастер-секрет (RFC 7627): привязать ключи ко всему этому рукопожатию
        renegotiation_info (0xff01): безопасное повторное согласование (RFC 5746)
        record_size_limit (0x001c): записи не длиннее 16384 байт открытого текста (RFC 8449)
    [сервер] версия протокола: TLS 1.2 (старшая версия, которую поддерживают обе стороны)
    [сервер] не удалось договориться: набор шифров: ничто из предложенного одной стороной не подходит другой

[сервер → клиент] предупреждение (alert): fatal handshake_failure (40)

[сервер] рукопожатие НЕ УДАЛОСЬ: clasp server handshake: read ClientHello: no cipher suite in common: client offered [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]; server accepts [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]

[клиент] рукопожатие НЕ УДАЛОСЬ: clasp client handshake: read ServerHello: server rejected the ClientHello with handshake_failure: client offered [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384] for versions [TLS 1.2], groups [x25519, secp256r1, secp384r1, secp521r1], ALPN [http/1.1]
