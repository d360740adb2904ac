/* ALSA playback of mono float samples (ser-play). The device is asked
 * for S16_LE, one channel, `rate` Hz; alsa-lib's plug layer converts to
 * what the hardware takes (snd_pcm_set_params with soft resampling).
 * A write blocks while the device buffer (about latency_us) is full. */
#ifndef SER_PLAYBACK_H
#define SER_PLAYBACK_H

#include <stddef.h>
#include "ser.h"

typedef struct ser_playback ser_playback;
/* Opens device for playback. SER_EDEVICE with ALSA's reason. */
ser_playback *ser_playback_open(const char *device, int rate, unsigned latency_us, ser_error *err);
/* Plays n samples in [-1, 1) (clipped). An underrun (the buffer ran dry,
 * e.g. after a pause) is recovered and playing goes on. SER_EDEVICE when
 * the device fails; SER_EINTR when a caught signal interrupted it. */
int ser_playback_write(ser_playback *p, const float *x, size_t n, ser_error *err);
/* Drops what is buffered (pause, stop, seek); the next write starts anew. */
void ser_playback_drop(ser_playback *p);
/* Plays out what is buffered, then returns. */
void ser_playback_drain(ser_playback *p);
/* Closes the device and frees alsa-lib's global configuration cache
 * (snd_config_update_free_global): close it after every other ALSA handle
 * of the process. */
void ser_playback_close(ser_playback *p);

#endif
