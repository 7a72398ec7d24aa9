// Labels in Vietnamese (the default, with diacritics) and English. Names of entities and metrics come
// from the catalog (`name` and `nameEn`); only the wall's own words and short tile labels live here.

const strings = {
  vi: {
    title: 'Trung tâm Điều hành thông minh',
    subtitle: 'Tỉnh Hưng Yên · Giám sát trực tuyến',
    province: 'Toàn tỉnh',
    localities: 'Địa bàn',
    projects: 'Dự án đô thị thông minh',
    departments: 'Sở, ngành',
    alerts: 'Cảnh báo trực tiếp',
    lowAchievement: 'Chỉ tiêu chưa đạt',
    noAlerts: 'Không có cảnh báo nào đang hoạt động',
    noLow: 'Tất cả chỉ tiêu đều đạt',
    unavailable: 'Chưa có dữ liệu',
    missingReports: 'Báo cáo định kỳ chưa nộp',
    noMissing: 'Đã nộp đủ báo cáo định kỳ',
    neverReported: 'chưa từng báo cáo',
    daily: 'hằng ngày',
    monthly: 'hằng tháng',
    notAvailable: 'Không tải được: {reason}',
    reasonForbidden: 'tài khoản này không có quyền xem (403)',
    reasonNetwork: 'không kết nối được máy chủ',
    reasonMissing: 'máy chủ không có dịch vụ này (404)',
    reasonServer: 'lỗi máy chủ ({status})',
    reasonOther: 'máy chủ trả lời {status}',
    catalogBanner: 'Không tải được danh mục đơn vị: {reason}. Đang thử lại…',
    kioskNoToken: 'Màn hình chưa được cấp mã truy cập: thêm ?token=… vào địa chỉ của màn hình.',
    pageRange: '{from}–{to} / {total}',
    previous: '‹ Trước',
    next: 'Sau ›',
    search: 'Tìm đơn vị, địa bàn…',
    searchNone: 'Không tìm thấy “{q}”',
    searchMore: 'và {n} kết quả khác',
    connected: 'Trực tuyến',
    connecting: 'Đang kết nối…',
    reconnecting: 'Đang kết nối lại…',
    disconnected: 'Mất kết nối',
    lostBanner: 'Mất kết nối máy chủ — đang kết nối lại. Số liệu dừng lúc {time}.',
    updated: 'Cập nhật {time}',
    lastSeen: 'Lần cuối {time}',
    never: 'Chưa nhận dữ liệu',
    units: 'đơn vị',
    unitsHeader: 'Đơn vị trực thuộc',
    childrenHeader: 'Thành phần',
    metricsHeader: 'Chỉ số',
    status: 'Trạng thái',
    name: 'Tên',
    role: 'Loại',
    lastReport: 'Cập nhật lúc',
    values: 'Giá trị mới nhất',
    value: 'Giá trị',
    target: 'Chỉ tiêu',
    thresholds: 'Ngưỡng cảnh báo',
    history: 'Lịch sử',
    range: 'Khoảng thời gian',
    loading: 'Đang tải…',
    historyForbidden: 'Chỉ cán bộ giám sát (supervisor) mới được xem lịch sử số liệu. Hãy đăng nhập bằng tài khoản giám sát.',
    historyMissing: 'Dịch vụ lịch sử số liệu chưa sẵn sàng trên máy chủ này.',
    historyEmpty: 'Không có số liệu trong khoảng thời gian này.',
    historyError: 'Không tải được lịch sử số liệu ({status}).',
    unknownEntity: 'Không tìm thấy đối tượng “{id}”.',
    signInTitle: 'Đăng nhập màn hình giám sát',
    signInHint: 'Dán mã truy cập (bearer token) được cấp cho màn hình này.',
    signIn: 'Đăng nhập',
    signInInvalid: 'Mã truy cập không hợp lệ hoặc đã hết hạn.',
    back: 'Quay lại',
    acknowledged: 'Đã xác nhận',
    since: 'từ {time}',
    gap: 'thiếu {gap}',
    atLeast: 'tối thiểu {value}',
    atMost: 'tối đa {value}',
    warning: 'cảnh báo {value}',
    critical: 'nghiêm trọng {value}',
    unitCount: '{n} đơn vị',
    minutesAgo: '{n} phút trước',
  },
  en: {
    title: 'Intelligent Operations Centre',
    subtitle: 'Hung Yen province · Live monitoring',
    province: 'Province',
    localities: 'Localities',
    projects: 'Smart-city projects',
    departments: 'Departments',
    alerts: 'Live alerts',
    lowAchievement: 'Below target',
    noAlerts: 'No active alerts',
    noLow: 'Every indicator is on target',
    unavailable: 'No data yet',
    missingReports: 'Scheduled reports missing',
    noMissing: 'Every scheduled report is in',
    neverReported: 'never reported',
    daily: 'daily',
    monthly: 'monthly',
    notAvailable: 'Not available: {reason}',
    reasonForbidden: 'this sign-in may not read it (403)',
    reasonNetwork: 'the server cannot be reached',
    reasonMissing: 'the server has no such service (404)',
    reasonServer: 'server error ({status})',
    reasonOther: 'the server answered {status}',
    catalogBanner: 'Could not load the catalog: {reason}. Retrying…',
    kioskNoToken: 'This screen has no access token: add ?token=… to its address.',
    pageRange: '{from}–{to} of {total}',
    previous: '‹ Previous',
    next: 'Next ›',
    search: 'Find a unit or place…',
    searchNone: 'Nothing matches “{q}”',
    searchMore: 'and {n} more',
    connected: 'Live',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    disconnected: 'Disconnected',
    lostBanner: 'Connection to the server lost — reconnecting. Values frozen at {time}.',
    updated: 'Updated {time}',
    lastSeen: 'Last seen {time}',
    never: 'Nothing received yet',
    units: 'units',
    unitsHeader: 'Units',
    childrenHeader: 'Members',
    metricsHeader: 'Metrics',
    status: 'Status',
    name: 'Name',
    role: 'Kind',
    lastReport: 'Last report',
    values: 'Latest values',
    value: 'Value',
    target: 'Target',
    thresholds: 'Alert thresholds',
    history: 'History',
    range: 'Range',
    loading: 'Loading…',
    historyForbidden: 'Only supervisors may read metric history. Sign in with a supervisor account.',
    historyMissing: 'The history service is not available on this server yet.',
    historyEmpty: 'No data in this range.',
    historyError: 'Could not load the history ({status}).',
    unknownEntity: 'There is no entity “{id}”.',
    signInTitle: 'Sign in to the wall',
    signInHint: 'Paste the access (bearer) token issued for this screen.',
    signIn: 'Sign in',
    signInInvalid: 'The token is invalid or has expired.',
    back: 'Back',
    acknowledged: 'Acknowledged',
    since: 'since {time}',
    gap: 'short by {gap}',
    atLeast: 'at least {value}',
    atMost: 'at most {value}',
    warning: 'warning {value}',
    critical: 'critical {value}',
    unitCount: '{n} units',
    minutesAgo: '{n} min ago',
  },
};

const statusLabels = {
  vi: { ok: 'Bình thường', belowTarget: 'Dưới chỉ tiêu', warning: 'Cảnh báo', critical: 'Nghiêm trọng', offline: 'Mất tín hiệu' },
  en: { ok: 'Normal', belowTarget: 'Below target', warning: 'Warning', critical: 'Critical', offline: 'Offline' },
};

const kindLabels = {
  vi: { province: 'Tỉnh', city: 'Thành phố', town: 'Thị xã', district: 'Huyện', department: 'Sở, ngành', project: 'Dự án', unit: 'Đơn vị' },
  en: { province: 'Province', city: 'City', town: 'Town', district: 'District', department: 'Department', project: 'Project', unit: 'Unit' },
};

const roleLabels = {
  vi: {
    'people-committee': 'Ủy ban nhân dân', 'traffic-counter': 'Trạm đếm phương tiện', 'air-quality-station': 'Trạm quan trắc không khí',
    'water-level-gauge': 'Trạm đo mực nước', camera: 'Cụm camera giám sát', 'public-service-point': 'Bộ phận một cửa',
    'department-office': 'Văn phòng sở, ngành', 'operations-centre': 'Trung tâm dữ liệu',
  },
  en: {
    'people-committee': "People's Committee", 'traffic-counter': 'Traffic counter', 'air-quality-station': 'Air-quality station',
    'water-level-gauge': 'Water-level gauge', camera: 'Camera cluster', 'public-service-point': 'Public-service point',
    'department-office': 'Department office', 'operations-centre': 'Data centre',
  },
};

// Short labels for the tiles, where the catalog's full names do not fit; the full name is the tooltip.
const shortMetricLabels = {
  vi: {
    'dt-budget-share': 'Chi CĐS', 'online-dossier-share': 'HS trực tuyến', 'vehicle-count': 'Lưu lượng xe',
    pm25: 'Bụi mịn PM2.5', aqi: 'VN_AQI', 'water-level': 'Mực nước', 'camera-online-ratio': 'Camera hoạt động',
    'queue-length': 'Người chờ', 'avg-speed': 'Tốc độ TB', 'it-officials': 'Cán bộ CNTT', 'online-payment-share': 'Thanh toán trực tuyến',
    'digitised-dossier-share': 'Số hóa hồ sơ', 'village-tech-team-share': 'Tổ CNS cộng đồng', 'eid-level2-share': 'Định danh mức 2',
  },
  en: {
    'dt-budget-share': 'DT budget', 'online-dossier-share': 'Online dossiers', 'vehicle-count': 'Vehicles',
    pm25: 'PM2.5', aqi: 'AQI', 'water-level': 'Water level', 'camera-online-ratio': 'Cameras online',
    'queue-length': 'Queue', 'avg-speed': 'Avg speed', 'it-officials': 'IT officials', 'online-payment-share': 'Online payments',
    'digitised-dossier-share': 'Digitised dossiers', 'village-tech-team-share': 'Village tech teams', 'eid-level2-share': 'Level-2 e-ID',
  },
};

const locales = { vi: 'vi-VN', en: 'en-GB' };
let language = localStorage.getItem('ioc.lang') === 'en' ? 'en' : 'vi';
let formats = makeFormats(language);

function makeFormats(lang) {
  const locale = locales[lang];
  return {
    n0: new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }),
    n1: new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    n2: new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }),
    dateTime: new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }),
    date: new Intl.DateTimeFormat(locale, { weekday: 'long', day: '2-digit', month: '2-digit', year: 'numeric' }),
  };
}

export function lang() { return language; }

export function setLanguage(next) {
  language = next === 'en' ? 'en' : 'vi';
  localStorage.setItem('ioc.lang', language);
  formats = makeFormats(language);
  document.documentElement.lang = language;
}

/** A wall label, with {placeholders} filled from `args`. */
export function t(key, args) {
  const text = strings[language][key] ?? strings.vi[key] ?? key;
  return args ? text.replace(/\{(\w+)\}/g, (_, k) => args[k] ?? '') : text;
}

/** Why something could not be loaded, from a failed request's { status, detail }. */
export function failureReason(error) {
  const status = error?.status ?? 0;
  const reason = status === 0 ? t('reasonNetwork')
    : status === 403 ? t('reasonForbidden')
      : status === 404 && !error.detail ? t('reasonMissing')
        : status >= 500 ? t('reasonServer', { status })
          : t('reasonOther', { status });
  return error?.detail && status !== 403 ? `${reason}: ${error.detail}` : reason;
}

/** "Not available: <reason>", for a panel whose data could not be loaded. */
export const failureText = error => t('notAvailable', { reason: failureReason(error) });

export const statusLabel = s => statusLabels[language][s] ?? s;
export const kindLabel = k => kindLabels[language][k] ?? k;
export const roleLabel = r => (r && roleLabels[language][r]) || r || '';

/** The catalog name of an entity or metric in the current language. */
export const nameOf = item => (item ? (language === 'en' && item.nameEn) || item.name : '');

export const shortMetricLabel = metric => shortMetricLabels[language][metric.id] ?? nameOf(metric);

/** A value as the wall shows it: more decimals for small numbers, none for large ones. */
export function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const size = Math.abs(value);
  return (size >= 1000 ? formats.n0 : size < 10 && !Number.isInteger(value) ? formats.n2 : Number.isInteger(value) ? formats.n0 : formats.n1).format(value);
}

/** Clock time of an ISO timestamp or Date; today's times without the date, older ones with it. */
export function formatTime(when) {
  if (!when) return '—';
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime()) || date.getFullYear() < 2000) return '—';
  return Date.now() - date.getTime() < 20 * 3600_000 ? formats.time.format(date) : formats.dateTime.format(date);
}

export const formatClock = date => formats.time.format(date);
export const formatDate = date => formats.date.format(date);
