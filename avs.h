/* AVS, everything a program needs in one include (docs/CAPI.md):
 *
 *   cc prog.c $(pkg-config --cflags --libs avs)        #include <avs.h>
 *
 * Status codes and avs_errmsg (av/status.h), tensors, contexts and ops
 * (av/avs.h), the shipped data (av/datadir.h), audio, video, the model layer
 * and the action models, visually guided separation (fusion/), the avdata
 * manifest reader and the synthetic benchmark generator. The headers of
 * single architectures and building blocks (video/models/c3d.h, nn/unit.h,
 * ...) are installed too, for writing models; include them by name. */
#ifndef AVS_H
#define AVS_H

#include "av/avs.h"
#include "av/datadir.h"

#include "audio/audio_file.h"
#include "audio/audio_track.h"
#include "audio/logfreq.h"
#include "audio/mask.h"
#include "audio/mel.h"
#include "audio/metrics.h"
#include "audio/stft.h"
#include "audio/stream.h"

#include "video/video.h"

#include "nn/model.h"
#include "video/models/action_eval.h"
#include "video/models/action_input.h"
#include "video/models/action_score.h"
#include "video/models/labels.h"
#include "video/models/profile.h"
#include "video/models/registry.h"

#include "audio/nmf.h"
#include "fusion/discover.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_data.h"
#include "fusion/sep_eval.h"
#include "fusion/sep_video.h"
#include "fusion/separate.h"
#include "fusion/separation.h"
#include "fusion/localization.h"
#include "fusion/loc_data.h"
#include "fusion/loc_eval.h"
#include "fusion/speech.h"
#include "fusion/speech_data.h"
#include "fusion/speech_eval.h"
#include "fusion/speech_separate.h"
#include "audio/spectrogram.h"

#include "data/generator/avdata.h"
#include "data/manifest.h"

#endif
