#define MS_CLASS "RTC::SrtpSession"
// #define MS_LOG_DEV_LEVEL 3

#include "RTC/SrtpSession.hpp"
#include "DepLibSRTP.hpp"
#include "Logger.hpp"
#include "MediaSoupErrors.hpp"
#include <cstring>

namespace RTC
{
	/* Static. */

	static constexpr size_t EncryptBufferSize{ 65536 };
	alignas(4) static thread_local uint8_t EncryptBuffer[EncryptBufferSize];

	/* Class methods. */

	void SrtpSession::ClassInit()
	{
		MS_TRACE();

		// Set libsrtp event handler.
		const srtp_err_status_t err =
		  srtp_install_event_handler(static_cast<srtp_event_handler_func_t*>(OnSrtpEvent));

		if (DepLibSRTP::IsError(err))
		{
			MS_THROW_ERROR(
			  "srtp_install_event_handler() failed: %s", DepLibSRTP::GetErrorString(err).c_str());
		}
	}

	FBS::SrtpParameters::SrtpCryptoSuite SrtpSession::CryptoSuiteToFbs(CryptoSuite cryptoSuite)
	{
		MS_TRACE();

		switch (cryptoSuite)
		{
			case SrtpSession::CryptoSuite::AEAD_AES_256_GCM:
			{
				return FBS::SrtpParameters::SrtpCryptoSuite::AEAD_AES_256_GCM;
			}

			case SrtpSession::CryptoSuite::AEAD_AES_128_GCM:
			{
				return FBS::SrtpParameters::SrtpCryptoSuite::AEAD_AES_128_GCM;
			}

			case SrtpSession::CryptoSuite::AES_CM_128_HMAC_SHA1_80:
			{
				return FBS::SrtpParameters::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_80;
			}

			case SrtpSession::CryptoSuite::AES_CM_128_HMAC_SHA1_32:
			{
				return FBS::SrtpParameters::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_32;
			}

				NO_DEFAULT_GCC();
		}
	}

	SrtpSession::CryptoSuite SrtpSession::CryptoSuiteFromFbs(FBS::SrtpParameters::SrtpCryptoSuite cryptoSuite)
	{
		MS_TRACE();

		switch (cryptoSuite)
		{
			case FBS::SrtpParameters::SrtpCryptoSuite::AEAD_AES_256_GCM:
			{
				return SrtpSession::CryptoSuite::AEAD_AES_256_GCM;
			}

			case FBS::SrtpParameters::SrtpCryptoSuite::AEAD_AES_128_GCM:
			{
				return SrtpSession::CryptoSuite::AEAD_AES_128_GCM;
			}

			case FBS::SrtpParameters::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_80:
			{
				return SrtpSession::CryptoSuite::AES_CM_128_HMAC_SHA1_80;
			}

			case FBS::SrtpParameters::SrtpCryptoSuite::AES_CM_128_HMAC_SHA1_32:
			{
				return SrtpSession::CryptoSuite::AES_CM_128_HMAC_SHA1_32;
			}

				NO_DEFAULT_GCC();
		}
	}

	void SrtpSession::OnSrtpEvent(srtp_event_data_t* data)
	{
		MS_TRACE();

		switch (data->event)
		{
			case event_ssrc_collision:
			{
				MS_WARN_TAG(srtp, "SSRC collision occurred");

				break;
			}

			case event_key_soft_limit:
			{
				MS_WARN_TAG(srtp, "stream reached the soft key usage limit and will expire soon");

				break;
			}

			case event_key_hard_limit:
			{
				MS_WARN_TAG(srtp, "stream reached the hard key usage limit and has expired");

				break;
			}

			case event_packet_index_limit:
			{
				MS_WARN_TAG(srtp, "stream reached the hard packet limit (2^48 packets)");

				break;
			}
		}
	}

	/* Instance methods. */

	SrtpSession::SrtpSession(Type type, CryptoSuite cryptoSuite, uint8_t* key, size_t keyLen)
	{
		MS_TRACE();

		// libsrtp2 port (Vilokanam): upstream targets the libsrtp3 fork's policy builder API.
		srtp_policy_t policy; // NOLINT(cppcoreguidelines-pro-type-member-init)

		std::memset(std::addressof(policy), 0, sizeof(srtp_policy_t));

		srtp_profile_t profile;

		switch (cryptoSuite)
		{
			case CryptoSuite::AEAD_AES_256_GCM:
			{
				profile = srtp_profile_aead_aes_256_gcm;

				break;
			}

			case CryptoSuite::AEAD_AES_128_GCM:
			{
				profile = srtp_profile_aead_aes_128_gcm;

				break;
			}

			case CryptoSuite::AES_CM_128_HMAC_SHA1_80:
			{
				profile = srtp_profile_aes128_cm_sha1_80;

				break;
			}

			case CryptoSuite::AES_CM_128_HMAC_SHA1_32:
			{
				profile = srtp_profile_aes128_cm_sha1_32;

				break;
			}

			default:
			{
				MS_ABORT("unknown SRTP crypto suite");
			}
		}

		srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(
		  std::addressof(policy.rtp), profile);

		if (DepLibSRTP::IsError(err))
		{
			MS_THROW_ERROR(
			  "srtp_crypto_policy_set_from_profile_for_rtp() failed: %s",
			  DepLibSRTP::GetErrorString(err).c_str());
		}

		err = srtp_crypto_policy_set_from_profile_for_rtcp(std::addressof(policy.rtcp), profile);

		if (DepLibSRTP::IsError(err))
		{
			MS_THROW_ERROR(
			  "srtp_crypto_policy_set_from_profile_for_rtcp() failed: %s",
			  DepLibSRTP::GetErrorString(err).c_str());
		}

		const size_t masterKeyLen  = srtp_profile_get_master_key_length(profile);
		const size_t masterSaltLen = srtp_profile_get_master_salt_length(profile);

		MS_ASSERT(
		  keyLen == masterKeyLen + masterSaltLen,
		  "given keyLen does not match profile master key + salt length");

		switch (type)
		{
			case Type::INBOUND:
			{
				policy.ssrc.type = ssrc_any_inbound;

				break;
			}

			case Type::OUTBOUND:
			{
				policy.ssrc.type = ssrc_any_outbound;

				break;
			}
		}

		policy.ssrc.value = 0;
		// libsrtp2 takes the master key immediately followed by the master salt,
		// which is exactly the layout mediasoup hands over.
		policy.key = key;
		// Required for sending RTP retransmission without RTX.
		policy.allow_repeat_tx = 1;
		policy.window_size     = 1024;
		policy.next            = nullptr;

		err = srtp_create(std::addressof(this->session), std::addressof(policy));

		if (DepLibSRTP::IsError(err))
		{
			MS_THROW_ERROR("srtp_create() failed: %s", DepLibSRTP::GetErrorString(err).c_str());
		}
	}

	SrtpSession::~SrtpSession()
	{
		MS_TRACE();

		if (this->session != nullptr)
		{
			const srtp_err_status_t err = srtp_dealloc(this->session);

			if (DepLibSRTP::IsError(err))
			{
				try
				{
					MS_ABORT("srtp_dealloc() failed: %s", DepLibSRTP::GetErrorString(err).c_str());
				}
				catch (const std::exception& error) // NOLINT(bugprone-empty-catch)
				{
					// NOTE: This is to avoid a warning:
					// '~SrtpSession' has a non-throwing exception specification but can
					// still throw [-Wexceptions]
				}
			}
		}
	}

	bool SrtpSession::EncryptRtp(const uint8_t** data, size_t* len)
	{
		MS_TRACE();

		// Ensure that the resulting SRTP packet fits into the encrypt buffer.
		if (*len + SRTP_MAX_TRAILER_LEN > EncryptBufferSize)
		{
			MS_WARN_TAG(srtp, "cannot encrypt RTP packet, size too big (%zu bytes)", *len);

			return false;
		}

		// libsrtp2 protects in place, and the caller's packet must stay intact.
		std::memcpy(EncryptBuffer, *data, *len);

		int encryptLen = static_cast<int>(*len);

		const srtp_err_status_t err =
		  srtp_protect(this->session, static_cast<void*>(EncryptBuffer), std::addressof(encryptLen));

		if (DepLibSRTP::IsError(err))
		{
			MS_WARN_TAG(srtp, "srtp_protect() failed: %s", DepLibSRTP::GetErrorString(err).c_str());

			return false;
		}

		*data = const_cast<const uint8_t*>(EncryptBuffer);
		*len  = static_cast<size_t>(encryptLen);

		return true;
	}

	bool SrtpSession::DecryptSrtp(uint8_t* data, size_t* len)
	{
		MS_TRACE();

		int decryptLen = static_cast<int>(*len);

		const srtp_err_status_t err =
		  srtp_unprotect(this->session, static_cast<void*>(data), std::addressof(decryptLen));

		if (DepLibSRTP::IsError(err))
		{
			MS_DEBUG_TAG(srtp, "srtp_unprotect() failed: %s", DepLibSRTP::GetErrorString(err).c_str());

			return false;
		}

		*len = static_cast<size_t>(decryptLen);

		return true;
	}

	bool SrtpSession::EncryptRtcp(const uint8_t** data, size_t* len)
	{
		MS_TRACE();

		// Ensure that the resulting SRTCP packet fits into the encrypt buffer.
		if (*len + SRTP_MAX_TRAILER_LEN > EncryptBufferSize)
		{
			MS_WARN_TAG(srtp, "cannot encrypt RTCP packet, size too big (%zu bytes)", *len);

			return false;
		}

		std::memcpy(EncryptBuffer, *data, *len);

		int encryptLen = static_cast<int>(*len);

		const srtp_err_status_t err =
		  srtp_protect_rtcp(this->session, static_cast<void*>(EncryptBuffer), std::addressof(encryptLen));

		if (DepLibSRTP::IsError(err))
		{
			MS_WARN_TAG(srtp, "srtp_protect_rtcp() failed: %s", DepLibSRTP::GetErrorString(err).c_str());

			return false;
		}

		*data = const_cast<const uint8_t*>(EncryptBuffer);
		*len  = static_cast<size_t>(encryptLen);

		return true;
	}

	bool SrtpSession::DecryptSrtcp(uint8_t* data, size_t* len)
	{
		MS_TRACE();

		int decryptLen = static_cast<int>(*len);

		const srtp_err_status_t err =
		  srtp_unprotect_rtcp(this->session, static_cast<void*>(data), std::addressof(decryptLen));

		if (DepLibSRTP::IsError(err))
		{
			MS_DEBUG_TAG(srtp, "srtp_unprotect_rtcp() failed: %s", DepLibSRTP::GetErrorString(err).c_str());

			return false;
		}

		*len = static_cast<size_t>(decryptLen);

		return true;
	}
} // namespace RTC
