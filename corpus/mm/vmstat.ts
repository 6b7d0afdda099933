/** vmstat reports: /proc/buddyinfo (mm/vmstat.c) and meminfo (fs/proc/meminfo.c). */
import { register_report } from '../sim/reports.ts';
import { buddyinfo } from './page_alloc.ts';

register_report({ name: 'buddyinfo', title: '/proc/buddyinfo', text: buddyinfo });
