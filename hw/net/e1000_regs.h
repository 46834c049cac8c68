/*
 * Intel 8254x (82540EM) register offsets and bits that the e1000 model
 * implements, named as in Intel's "PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual" (section 13).
 */
#ifndef HW_NET_E1000_REGS_H
#define HW_NET_E1000_REGS_H

#define E1000_CTRL      0x0000
#define E1000_STATUS    0x0008
#define E1000_EECD      0x0010
#define E1000_EERD      0x0014
#define E1000_CTRL_EXT  0x0018
#define E1000_FLA       0x001c
#define E1000_MDIC      0x0020
#define E1000_FCAL      0x0028
#define E1000_FCAH      0x002c
#define E1000_FCT       0x0030
#define E1000_VET       0x0038
#define E1000_ICR       0x00c0
#define E1000_ITR       0x00c4
#define E1000_ICS       0x00c8
#define E1000_IMS       0x00d0
#define E1000_IMC       0x00d8
#define E1000_RCTL      0x0100
#define E1000_FCTTV     0x0170
#define E1000_TXCW      0x0178
#define E1000_RXCW      0x0180
#define E1000_TCTL      0x0400
#define E1000_TIPG      0x0410
#define E1000_LEDCTL    0x0e00
#define E1000_PBA       0x1000
#define E1000_FCRTL     0x2160
#define E1000_FCRTH     0x2168
#define E1000_RDBAL     0x2800
#define E1000_RDBAH     0x2804
#define E1000_RDLEN     0x2808
#define E1000_RDH       0x2810
#define E1000_RDT       0x2818
#define E1000_RDTR      0x2820
#define E1000_RXDCTL    0x2828
#define E1000_RADV      0x282c
#define E1000_RSRPD     0x2c00
#define E1000_TDBAL     0x3800
#define E1000_TDBAH     0x3804
#define E1000_TDLEN     0x3808
#define E1000_TDH       0x3810
#define E1000_TDT       0x3818
#define E1000_TIDV      0x3820
#define E1000_TXDCTL    0x3828
#define E1000_TADV      0x382c
#define E1000_STATS     0x4000      /* 0x4000..0x40ff: clear-on-read counters */
#define E1000_STATS_END 0x4100
#define E1000_RXCSUM    0x5000
#define E1000_MTA       0x5200      /* 128 dwords */
#define E1000_RA        0x5400      /* 16 pairs RAL/RAH */
#define E1000_VFTA      0x5600      /* 128 dwords */
#define E1000_WUC       0x5800
#define E1000_MANC      0x5820
#define E1000_SWSM      0x5b50
#define E1000_MMIO_SIZE 0x20000

/* statistics registers (offsets) */
#define E1000_CRCERRS   0x4000
#define E1000_MPC       0x4010
#define E1000_PRC64     0x405c
#define E1000_PRC127    0x4060
#define E1000_PRC255    0x4064
#define E1000_PRC511    0x4068
#define E1000_PRC1023   0x406c
#define E1000_PRC1522   0x4070
#define E1000_GPRC      0x4074
#define E1000_BPRC      0x4078
#define E1000_MPRC      0x407c
#define E1000_GPTC      0x4080
#define E1000_GORCL     0x4088
#define E1000_GORCH     0x408c
#define E1000_GOTCL     0x4090
#define E1000_GOTCH     0x4094
#define E1000_RNBC      0x40a0
#define E1000_RUC       0x40a4
#define E1000_ROC       0x40ac
#define E1000_TORL      0x40c0
#define E1000_TORH      0x40c4
#define E1000_TOTL      0x40c8
#define E1000_TOTH      0x40cc
#define E1000_TPR       0x40d0
#define E1000_TPT       0x40d4
#define E1000_PTC64     0x40d8
#define E1000_PTC127    0x40dc
#define E1000_PTC255    0x40e0
#define E1000_PTC511    0x40e4
#define E1000_PTC1023   0x40e8
#define E1000_PTC1522   0x40ec
#define E1000_MPTC      0x40f0
#define E1000_BPTC      0x40f4
#define E1000_TSCTC     0x40f8

#define CTRL_SLU        (1u << 6)
#define CTRL_RST        (1u << 26)
#define CTRL_PHY_RST    (1u << 31)

#define STATUS_FD       (1u << 0)
#define STATUS_LU       (1u << 1)
#define STATUS_SPEED_1000 (2u << 6)

#define EECD_SK         (1u << 0)
#define EECD_CS         (1u << 1)
#define EECD_DI         (1u << 2)
#define EECD_DO         (1u << 3)
#define EECD_REQ        (1u << 6)
#define EECD_GNT        (1u << 7)
#define EECD_PRES       (1u << 8)

#define EERD_START      (1u << 0)
#define EERD_DONE       (1u << 4)

#define MDIC_OP_WRITE   (1u << 26)
#define MDIC_OP_READ    (2u << 26)
#define MDIC_READY      (1u << 28)
#define MDIC_ERROR      (1u << 30)

/* interrupt causes (ICR/ICS/IMS/IMC) */
#define ICR_TXDW        (1u << 0)
#define ICR_TXQE        (1u << 1)
#define ICR_LSC         (1u << 2)
#define ICR_RXDMT0      (1u << 4)
#define ICR_RXO         (1u << 6)
#define ICR_RXT0        (1u << 7)
#define ICR_MDAC        (1u << 9)

#define RCTL_EN         (1u << 1)
#define RCTL_SBP        (1u << 2)
#define RCTL_UPE        (1u << 3)
#define RCTL_MPE        (1u << 4)
#define RCTL_LPE        (1u << 5)
#define RCTL_RDMTS_SHIFT 8
#define RCTL_MO_SHIFT   12
#define RCTL_BAM        (1u << 15)
#define RCTL_BSIZE_SHIFT 16
#define RCTL_VFE        (1u << 18)
#define RCTL_BSEX       (1u << 25)
#define RCTL_SECRC      (1u << 26)

#define TCTL_EN         (1u << 1)

#define RXCSUM_IPOFL    (1u << 8)
#define RXCSUM_TUOFL    (1u << 9)

/* transmit descriptor command / status */
#define TXD_CMD_EOP     (1u << 24)
#define TXD_CMD_IFCS    (1u << 25)
#define TXD_CMD_IC      (1u << 26)
#define TXD_CMD_RS      (1u << 27)
#define TXD_CMD_DEXT    (1u << 29)
#define TXD_CMD_VLE     (1u << 30)
#define TXD_CMD_IDE     (1u << 31)
#define TXD_CMD_TSE     (1u << 26)      /* in context/data descriptors */
#define TXD_DTYP_SHIFT  20
#define TXD_DTYP_CTX    0
#define TXD_DTYP_DATA   1
#define TXD_STA_DD      (1u << 0)
#define TXD_POPTS_IXSM  (1u << 0)
#define TXD_POPTS_TXSM  (1u << 1)
#define TUCMD_TCP       (1u << 0)
#define TUCMD_IP        (1u << 1)

/* receive descriptor status / errors */
#define RXD_STA_DD      (1u << 0)
#define RXD_STA_EOP     (1u << 1)
#define RXD_STA_IXSM    (1u << 2)
#define RXD_STA_VP      (1u << 3)
#define RXD_STA_TCPCS   (1u << 5)
#define RXD_STA_IPCS    (1u << 6)

/* PHY (Marvell 88E1011 as on 82540EM boards) */
#define PHY_CTRL        0x00
#define PHY_STATUS      0x01
#define PHY_ID1         0x02
#define PHY_ID2         0x03
#define PHY_AUTONEG_ADV 0x04
#define PHY_LP_ABILITY  0x05
#define PHY_AUTONEG_EXP 0x06
#define PHY_1000T_CTRL  0x09
#define PHY_1000T_STATUS 0x0a
#define PHY_EXT_STATUS  0x0f
#define M88_PHY_SPEC_CTRL 0x10
#define M88_PHY_SPEC_STATUS 0x11
#define M88_EXT_PHY_SPEC_CTRL 0x14
#define M88_PHY_PAGE_SELECT 0x1d
#define M88_PHY_GEN_CONTROL 0x1e
#define PHY_NREGS       0x20
#define MII_CR_RESET    (1u << 15)
#define MII_CR_RESTART_AUTONEG (1u << 9)
#define MII_SR_LINK_STATUS (1u << 2)
#define MII_SR_AUTONEG_COMPLETE (1u << 5)

#endif
