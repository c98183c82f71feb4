// Reads health the way ndctl's util_dimm_health_to_json() (ndctl/json-smart.c) does, so the fields
// and their meaning match `ndctl list -DH`: a field is present only when the DIMM flags it valid.
#include "health.h"

#include <ndctl/libndctl.h>
// The kernel UAPI copy: Debian's <ndctl/ndctl.h> includes a ccan header it does not ship.
#include <linux/ndctl.h>

#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "promise_worker.h"

namespace dax_native {
namespace {

struct DimmHealthRecord {
  std::string bus;
  std::string dev;
  bool supported = false;
  std::optional<std::string> health_state;
  std::optional<double> temperature_celsius;
  std::optional<double> controller_temperature_celsius;
  std::optional<unsigned> spares_percentage;
  std::optional<bool> alarm_temperature;
  std::optional<bool> alarm_controller_temperature;
  std::optional<bool> alarm_spares;
  std::optional<bool> alarm_enabled_media_temperature;
  std::optional<double> temperature_threshold;
  std::optional<bool> alarm_enabled_ctrl_temperature;
  std::optional<double> controller_temperature_threshold;
  std::optional<bool> alarm_enabled_spares;
  std::optional<unsigned> spares_threshold;
  std::optional<unsigned> life_used_percentage;
  std::optional<std::string> shutdown_state;
  std::optional<unsigned> shutdown_count;
  std::optional<std::string> error;
};

// "<libndctl fn>: <strerror> (<last log line>)"
std::string DescribeFailure(const NdctlContext& ndctl, const char* fn, const std::string& reason) {
  std::string text = std::string(fn) + ": " + reason;
  if (!ndctl.LastLog().empty()) text += " (" + ndctl.LastLog() + ")";
  return text;
}

// Optional: a DIMM without the threshold command, or one that fails it, just leaves these out
// (ndctl ignores both cases the same way).
void ReadThresholds(struct ndctl_dimm* dimm, DimmHealthRecord& record) {
  struct ndctl_cmd* cmd = ndctl_dimm_cmd_new_smart_threshold(dimm);
  if (cmd == nullptr) return;
  if (ndctl_cmd_submit_xlat(cmd) >= 0) {
    unsigned alarm_control = ndctl_cmd_smart_threshold_get_alarm_control(cmd);
    record.alarm_enabled_media_temperature = (alarm_control & ND_SMART_TEMP_TRIP) != 0;
    if (alarm_control & ND_SMART_TEMP_TRIP) {
      record.temperature_threshold =
          ndctl_decode_smart_temperature(ndctl_cmd_smart_threshold_get_temperature(cmd));
    }
    record.alarm_enabled_ctrl_temperature = (alarm_control & ND_SMART_CTEMP_TRIP) != 0;
    if (alarm_control & ND_SMART_CTEMP_TRIP) {
      record.controller_temperature_threshold =
          ndctl_decode_smart_temperature(ndctl_cmd_smart_threshold_get_ctrl_temperature(cmd));
    }
    record.alarm_enabled_spares = (alarm_control & ND_SMART_SPARE_TRIP) != 0;
    if (alarm_control & ND_SMART_SPARE_TRIP) {
      record.spares_threshold = ndctl_cmd_smart_threshold_get_spares(cmd);
    }
  }
  ndctl_cmd_unref(cmd);
}

void ReadSmart(NdctlContext& ndctl, struct ndctl_dimm* dimm, DimmHealthRecord& record) {
  ndctl.ClearLastLog();
  struct ndctl_cmd* cmd = ndctl_dimm_cmd_new_smart(dimm);
  if (cmd == nullptr) {
    // The kernel lists the command but this DIMM family's ops could not build it.
    record.error = DescribeFailure(ndctl, "ndctl_dimm_cmd_new_smart", "command not available");
    return;
  }

  int rc = ndctl_cmd_submit_xlat(cmd);
  if (rc < 0) {
    record.health_state = "unknown";  // what ndctl prints in this case
    record.error = DescribeFailure(ndctl, "ndctl_cmd_submit_xlat", ErrnoText(-rc));
    ndctl_cmd_unref(cmd);
    return;
  }

  unsigned flags = ndctl_cmd_smart_get_flags(cmd);
  if (flags & ND_SMART_HEALTH_VALID) {
    unsigned health = ndctl_cmd_smart_get_health(cmd);
    if (health & ND_SMART_FATAL_HEALTH) {
      record.health_state = "fatal";
    } else if (health & ND_SMART_CRITICAL_HEALTH) {
      record.health_state = "critical";
    } else if (health & ND_SMART_NON_CRITICAL_HEALTH) {
      record.health_state = "non-critical";
    } else {
      record.health_state = "ok";
    }
  }
  if (flags & ND_SMART_TEMP_VALID) {
    record.temperature_celsius =
        ndctl_decode_smart_temperature(ndctl_cmd_smart_get_temperature(cmd));
  }
  if (flags & ND_SMART_CTEMP_VALID) {
    record.controller_temperature_celsius =
        ndctl_decode_smart_temperature(ndctl_cmd_smart_get_ctrl_temperature(cmd));
  }
  if (flags & ND_SMART_SPARES_VALID) {
    record.spares_percentage = ndctl_cmd_smart_get_spares(cmd);
  }
  if (flags & ND_SMART_ALARM_VALID) {
    unsigned alarm_flags = ndctl_cmd_smart_get_alarm_flags(cmd);
    record.alarm_temperature = (alarm_flags & ND_SMART_TEMP_TRIP) != 0;
    record.alarm_controller_temperature = (alarm_flags & ND_SMART_CTEMP_TRIP) != 0;
    record.alarm_spares = (alarm_flags & ND_SMART_SPARE_TRIP) != 0;
  }
  ReadThresholds(dimm, record);
  if (flags & ND_SMART_USED_VALID) {
    record.life_used_percentage = ndctl_cmd_smart_get_life_used(cmd);
  }
  if (flags & ND_SMART_SHUTDOWN_VALID) {
    record.shutdown_state = ndctl_cmd_smart_get_shutdown_state(cmd) ? "dirty" : "clean";
  }
  if (flags & ND_SMART_SHUTDOWN_COUNT_VALID) {
    record.shutdown_count = ndctl_cmd_smart_get_shutdown_count(cmd);
  }
  ndctl_cmd_unref(cmd);
}

template <typename T>
void SetIfPresent(Napi::Object& target, const char* key, const std::optional<T>& value) {
  if (!value) return;
  Napi::Env env = target.Env();
  if constexpr (std::is_same_v<T, bool>) {
    target.Set(key, Napi::Boolean::New(env, *value));
  } else if constexpr (std::is_same_v<T, std::string>) {
    target.Set(key, Napi::String::New(env, *value));
  } else {
    target.Set(key, Napi::Number::New(env, static_cast<double>(*value)));
  }
}

class DimmHealthWorker : public PromiseWorker {
 public:
  DimmHealthWorker(Napi::Env env, NdctlContextRef ndctl)
      : PromiseWorker(env), ndctl_(std::move(ndctl)) {}

 protected:
  void Execute() override {
    auto lock = ndctl_->Lock();
    struct ndctl_ctx* ctx = nullptr;
    int rc = ndctl_->Open(&ctx);
    if (rc < 0) {
      Fail(SystemError{-rc, "ndctl_new", "", ""});
      return;
    }
    // Re-read the bus list so buses that appeared since the last call are seen.
    ndctl_invalidate(ctx);
    struct ndctl_bus* bus;
    ndctl_bus_foreach(ctx, bus) {
      struct ndctl_dimm* dimm;
      ndctl_dimm_foreach(bus, dimm) {
        DimmHealthRecord record;
        record.bus = ndctl_bus_get_devname(bus);
        record.dev = ndctl_dimm_get_devname(dimm);
        record.supported = ndctl_dimm_is_cmd_supported(dimm, ND_CMD_SMART) != 0;
        if (record.supported) ReadSmart(*ndctl_, dimm, record);
        records_.push_back(std::move(record));
      }
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, records_.size());
    for (size_t i = 0; i < records_.size(); ++i) {
      const DimmHealthRecord& r = records_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("bus", r.bus);
      o.Set("dev", r.dev);
      o.Set("supported", r.supported);
      SetIfPresent(o, "health_state", r.health_state);
      SetIfPresent(o, "temperature_celsius", r.temperature_celsius);
      SetIfPresent(o, "controller_temperature_celsius", r.controller_temperature_celsius);
      SetIfPresent(o, "spares_percentage", r.spares_percentage);
      SetIfPresent(o, "alarm_temperature", r.alarm_temperature);
      SetIfPresent(o, "alarm_controller_temperature", r.alarm_controller_temperature);
      SetIfPresent(o, "alarm_spares", r.alarm_spares);
      SetIfPresent(o, "alarm_enabled_media_temperature", r.alarm_enabled_media_temperature);
      SetIfPresent(o, "temperature_threshold", r.temperature_threshold);
      SetIfPresent(o, "alarm_enabled_ctrl_temperature", r.alarm_enabled_ctrl_temperature);
      SetIfPresent(o, "controller_temperature_threshold", r.controller_temperature_threshold);
      SetIfPresent(o, "alarm_enabled_spares", r.alarm_enabled_spares);
      SetIfPresent(o, "spares_threshold", r.spares_threshold);
      SetIfPresent(o, "life_used_percentage", r.life_used_percentage);
      SetIfPresent(o, "shutdown_state", r.shutdown_state);
      SetIfPresent(o, "shutdown_count", r.shutdown_count);
      SetIfPresent(o, "error", r.error);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

 private:
  NdctlContextRef ndctl_;
  std::vector<DimmHealthRecord> records_;
};

}  // namespace

Napi::Value DimmHealth(const Napi::CallbackInfo& info, const NdctlContextRef& ndctl) {
  return (new DimmHealthWorker(info.Env(), ndctl))->Start();
}

}  // namespace dax_native
