"""出差 (trip mode) and 线索承诺 (lead clocks): trips with destinations and planned meetings,
the offline briefing (出差简报, PDF + .ics), the before-departure check, meetings that become
visit logs, the trip report (出差报告, PDF + XLSX) and leads with response clocks."""

from zsapp.contacts.merge import register_reference

# A company/person merge moves trip meetings and leads to the surviving record.
register_reference("trip_meetings", "company_id", "companies")
register_reference("leads", "company_id", "companies")
