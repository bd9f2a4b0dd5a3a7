/*
 * Certificate checks for libetpan's TLS streams.  Debian's libetpan uses
 * GnuTLS and verifies nothing, so we take the peer's chain after the
 * handshake and verify it, with the host name, before any login.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "fetch.h"

/* The DNS names a certificate is for (else its CN): a new string. */
static char *
cert_names(gnutls_x509_crt_t crt)
{
	GString *names = g_string_new(NULL);
	char buf[256];

	for (unsigned int i = 0; i < 16; i++) {
		size_t len = sizeof buf - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf,
								 &len, NULL);

		if (type < 0)
			break;
		if (type != GNUTLS_SAN_DNSNAME)
			continue;
		buf[len] = '\0';
		g_string_append_printf(names, "%s%s", names->len ? ", " : "",
				       buf);
	}
	if (names->len == 0) {
		size_t len = sizeof buf - 1;

		if (gnutls_x509_crt_get_dn_by_oid(crt,
						  GNUTLS_OID_X520_COMMON_NAME,
						  0, 0, buf, &len) == 0)
			g_string_append_len(names, buf, (gssize)len);
		else
			g_string_append(names, "no name");
	}
	return g_string_free(names, FALSE);
}

enum status
tls_verify_stream(void *stream, const char *host, const char *ca_file,
		  struct err *err)
{
	carray *chain = mailstream_get_certificate_chain(stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *certs = NULL;
	gnutls_typed_vdata_st vdata = {
		.type = GNUTLS_DT_DNS_HOSTNAME,
		.data = (unsigned char *)host,
		.size = 0,
	};
	unsigned int n = 0, ncerts = 0, verdict = 0;
	enum status st = ST_OK;
	int r;

	if (chain == NULL || carray_count(chain) == 0) {
		st = err_set(err, ST_SOURCE_BAD, "%s: no certificate "
			     "presented", host);
		goto out;
	}
	n = carray_count(chain);
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		st = err_set(err, ST_NOMEM, "cannot make a trust list");
		goto out;
	}
	r = ca_file != NULL
		    ? gnutls_x509_trust_list_add_trust_file(
			      tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0)
		    : gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		st = err_set(err, ST_SOURCE_BAD, "no trusted certificates in "
			     "%s", ca_file ? ca_file : "the system store");
		goto out;
	}
	certs = g_new0(gnutls_x509_crt_t, n);
	for (; ncerts < n; ncerts++) {
		MMAPString *der = carray_get(chain, ncerts);
		gnutls_datum_t d = { (unsigned char *)der->str,
				     (unsigned int)der->len };

		if (gnutls_x509_crt_init(&certs[ncerts]) < 0 ||
		    gnutls_x509_crt_import(certs[ncerts], &d,
					   GNUTLS_X509_FMT_DER) < 0) {
			ncerts++;
			st = err_set(err, ST_SOURCE_BAD, "%s: unreadable "
				     "certificate", host);
			goto out;
		}
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0,
					       &verdict, NULL);
	if (r >= 0 && (verdict & GNUTLS_CERT_UNEXPECTED_OWNER) != 0) {
		g_autofree char *names = cert_names(certs[0]);

		st = err_set(err, ST_SOURCE_BAD, "%s: the certificate is for "
			     "another name (%s), not %s: use the name it was "
			     "made for in the mailbox URL, or have it made "
			     "for %s", host, names, host, host);
	} else if (r < 0 || verdict != 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (r >= 0)
			gnutls_certificate_verification_status_print(
				verdict, GNUTLS_CRT_X509, &why, 0);
		st = err_set(err, ST_SOURCE_BAD, "%s: certificate not "
			     "trusted: %s", host,
			     r < 0 ? gnutls_strerror(r)
				   : (const char *)why.data);
		gnutls_free(why.data);
	}
out:
	for (unsigned int i = 0; i < ncerts; i++)
		gnutls_x509_crt_deinit(certs[i]);
	g_free(certs);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return st;
}
