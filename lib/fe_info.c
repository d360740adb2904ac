/* Front end: the feature-stream description (ser_feat_info, featio.h) of a
 * setting. Kept apart from fe_opts.c because it needs ser_fingerprint
 * (featio.c); declared in featio.h, which comes after mfcc.h. */
#include "featio.h"

#include <string.h>

int ser_feat_info_fill(const ser_feat_opts *o, ser_feat_info *info, char *text,
                       size_t n, ser_error *err)
{
	size_t len;
	int rc = ser_feat_check(o, err);
	if (rc < 0)
		return rc;
	len = ser_feat_settings_text(o, text, n);
	if (len >= n)
		return ser_seterr(err, SER_ELIMIT, "settings text needs %zu bytes, buffer has %zu", len + 1, n);
	memset(info, 0, sizeof *info);
	info->dim = (uint32_t)ser_feat_dim(o);
	info->rate = (uint32_t)o->rate;
	info->shift = o->pool != SER_POOL_NONE ? 0 : (uint32_t)ser_feat_frame_shift(o);
	info->length = (uint32_t)ser_feat_frame_length(o);
	info->fingerprint = ser_fingerprint(text, len);
	info->settings = text;
	return 0;
}
